"""The Bluesky Jetstream ingester: one WebSocket (`websockets`), posts only, matched and counted.

Jetstream filters by collection, not by text, and since its second version delivers at least
once: it replays from a cursor (time_us) and may send an event twice. So:
- every counted post's (did, rkey) is remembered for DEDUPE_SECONDS of stream time, and a second
  delivery is skipped (only a hash, in memory: nothing about the author is stored);
- the cursor is written in the same transaction as the counts it covers (the `flush` callable,
  mentions.services.mentions_record); after a restart the ingester asks Jetstream to replay from
  REWIND_SECONDS before it (no gap) and skips every post at or before it (no double count);
- a dropped connection or a refused one is retried with capped exponential backoff and jitter;
- a frame that is not JSON, or not a post, is skipped and counted, never fatal.

No Django at import time: the management command passes in `flush`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets

from mentions.tally import Tally

log = logging.getLogger(__name__)

COLLECTION = "app.bsky.feed.post"
# Jetstream frames are small JSON objects (a post's text is at most 3000 bytes), but a record
# with many facets or embeds is larger; atproto caps a record's block at 1 MiB. Twice that:
# a frame we refuse would be replayed at every reconnect from the cursor, forever.
MAX_FRAME_BYTES = 2 * 1024 * 1024
# Jetstream's documented advice for gapless playback after a reconnect: rewind a few seconds.
REWIND_SECONDS = 5
# Redeliveries come from a replay after a reconnect, which starts at most REWIND_SECONDS (plus
# the time since the last flush) back; a minute of stream time covers that with a wide margin.
DEDUPE_SECONDS = 60
FLUSH_SECONDS = 5.0
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 60.0


@dataclass(frozen=True)
class Post:
    did: str
    rkey: str
    time_us: int
    text: str
    langs: tuple[str, ...]


def post_of(frame: str | bytes) -> Post | None:
    """The created post a Jetstream frame carries, or None (another kind, a delete, garbage)."""
    try:
        event = json.loads(frame)
        commit = event["commit"]
        if (
            event.get("kind") != "commit"
            or commit.get("operation") != "create"
            or commit.get("collection") != COLLECTION
        ):
            return None
        record = commit["record"]
        text, langs, time_us = record["text"], record.get("langs") or [], event["time_us"]
        if not isinstance(text, str) or not isinstance(time_us, int) or time_us <= 0:
            return None
        return Post(
            did=str(event["did"]),
            rkey=str(commit["rkey"]),
            time_us=time_us,
            text=text,
            langs=tuple(lang for lang in langs[:3] if isinstance(lang, str)),
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def subscribe_url(base: str, cursor: int | None) -> str:
    """`base` with wantedCollections=app.bsky.feed.post and, when resuming, the cursor."""
    parts = urlsplit(base)
    query = [("wantedCollections", COLLECTION)]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    extra = "&".join(filter(None, [parts.query, urlencode(query)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, extra, ""))


@dataclass
class JetstreamIngester:
    url: str
    tally: Tally

    def handle(self, frame: str | bytes) -> None:
        """Count one frame (idempotent for a redelivered post)."""
        self.tally.stats.frames += 1
        post = post_of(frame)
        if post is None:
            self.tally.stats.skipped_frames += 1
            return
        self.tally.post(
            f"{post.did}/{post.rkey}", post.time_us, post.time_us / 1e6, post.text, post.langs
        )

    async def run(self, *, stop: asyncio.Event | None = None, max_connections: int = 0) -> None:
        """Read until `stop` is set (or after `max_connections` connections, for tests)."""
        stop = stop or asyncio.Event()
        flusher = asyncio.create_task(self.tally.flush_every(FLUSH_SECONDS, stop))
        try:
            await self._connect_until(stop, max_connections)
        finally:
            stop.set()
            await flusher

    async def _connect_until(self, stop: asyncio.Event, max_connections: int) -> None:
        backoff = BACKOFF_FIRST
        while not stop.is_set():
            if max_connections and self.tally.stats.connections >= max_connections:
                break
            last = self.tally.last
            cursor = None if last is None else last - REWIND_SECONDS * 1_000_000
            frames_before = self.tally.stats.frames
            try:
                self.tally.stats.connections += 1
                async with websockets.connect(
                    subscribe_url(self.url, cursor),
                    max_size=MAX_FRAME_BYTES,
                    open_timeout=10,
                    ping_interval=20,
                    ping_timeout=20,
                    close_timeout=5,
                ) as socket:
                    log.info("jetstream: connected (cursor %s)", cursor)
                    await self._read(socket, stop)
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                log.warning("jetstream: connection lost (%s)", error)
            if self.tally.stats.frames > frames_before:
                backoff = BACKOFF_FIRST  # the server was serving: a fresh failure, not a streak
            await self.tally.flush_async()  # store what this connection read before waiting
            if stop.is_set():
                break
            # Full jitter: many ingesters restarted together do not reconnect in step.
            delay = random.uniform(0, backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _read(self, socket, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(socket.recv(), timeout=1.0)
            except TimeoutError:
                continue  # only to look at `stop` now and then
            self.handle(frame)
