"""The Bluesky Jetstream ingester: one WebSocket (`websockets`), posts only, matched and counted.

Jetstream filters by collection, not by text, and since its second version delivers at least
once: it replays from a cursor (time_us) and may send an event twice. So:
- every counted post's (did, rkey) is remembered for DEDUPE_SECONDS of stream time, and a second
  delivery is skipped (only a hash, in memory: nothing about the author is stored);
- the cursor is written in the same transaction as the counts it covers (the `flush` callable,
  mentions.services.mentions_record); after a restart the ingester asks Jetstream to replay from
  REWIND_SECONDS before it (no gap) and skips every post at or before it (no double count);
- a dropped connection or a refused one is retried with capped exponential backoff and jitter;
- a frame that is not JSON, or not a post, or too big, is skipped and counted, never fatal.

No Django at import time: the management command passes in `flush`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets

from mentions.rules import Matcher, country_hint

log = logging.getLogger(__name__)

COLLECTION = "app.bsky.feed.post"
# Jetstream frames are small JSON objects; a post's text is at most 3000 bytes (the lexicon's
# maxLength), so anything past 64 KiB is not a post we want and is refused by the library.
MAX_FRAME_BYTES = 64 * 1024
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
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def subscribe_url(base: str, cursor: int | None) -> str:
    """`base` with wantedCollections=app.bsky.feed.post and, when resuming, the cursor."""
    parts = urlsplit(base)
    query = [("wantedCollections", COLLECTION)]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    extra = "&".join(filter(None, [parts.query, urlencode(query)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, extra, ""))


# (service slug, country or "", epoch minute) -> posts
Counts = Counter[tuple[str, str, int]]
# (counts, position = last time_us counted) -> None; one transaction.
Flush = Callable[[Counts, int], None]


@dataclass
class Stats:
    frames: int = 0
    posts: int = 0
    matched: int = 0
    duplicates: int = 0
    skipped_frames: int = 0
    connections: int = 0


@dataclass
class JetstreamIngester:
    url: str
    matcher: Matcher
    flush: Flush
    # slug -> countries the service is popular in (for the language hints).
    popular: dict[str, list[str]] = field(default_factory=dict)
    # The position stored by the last run (None: start from now).
    committed: int | None = None
    stats: Stats = field(default_factory=Stats)
    _pending: Counts = field(default_factory=Counter)
    _seen: OrderedDict[bytes, int] = field(default_factory=OrderedDict)
    _last: int | None = None

    def __post_init__(self) -> None:
        self._last = self.committed

    def handle(self, frame: str | bytes) -> None:
        """Count one frame (idempotent for a redelivered post)."""
        self.stats.frames += 1
        post = post_of(frame)
        if post is None:
            self.stats.skipped_frames += 1
            return
        if self.committed is not None and post.time_us <= self.committed:
            self.stats.duplicates += 1  # counted and committed before a restart
            return
        key = hashlib.blake2b(f"{post.did}/{post.rkey}".encode(), digest_size=12).digest()
        if key in self._seen:
            self.stats.duplicates += 1
            return
        self._seen[key] = post.time_us
        horizon = post.time_us - DEDUPE_SECONDS * 1_000_000
        while self._seen and next(iter(self._seen.values())) < horizon:
            self._seen.popitem(last=False)
        self.stats.posts += 1
        minute = post.time_us // 60_000_000
        for match in self.matcher.match(post.text):
            country = country_hint(post.langs, self.popular.get(match.service, ()))
            self._pending[(match.service, country, minute)] += 1
            self.stats.matched += 1
        self._last = max(self._last or 0, post.time_us)

    def flush_pending(self) -> None:
        if self._last is None or self._last == self.committed:
            return
        pending, self._pending = self._pending, Counter()
        try:
            self.flush(pending, self._last)
        except Exception:
            # Not committed: keep the counts for the next flush (nothing is lost or doubled).
            self._pending.update(pending)
            raise
        self.committed = self._last

    async def run(self, *, stop: asyncio.Event | None = None, max_connections: int = 0) -> None:
        """Read until `stop` is set (or after `max_connections` connections, for tests)."""
        stop = stop or asyncio.Event()
        backoff = BACKOFF_FIRST
        while not stop.is_set():
            if max_connections and self.stats.connections >= max_connections:
                break
            cursor = None if self._last is None else self._last - REWIND_SECONDS * 1_000_000
            try:
                self.stats.connections += 1
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
                    backoff = BACKOFF_FIRST
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                log.warning("jetstream: connection lost (%s); retrying in %.0fs", error, backoff)
            await asyncio.to_thread(self._flush_logged)
            if stop.is_set():
                break
            # Full jitter: many ingesters restarted together do not reconnect in step.
            delay = random.uniform(0, backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _read(self, socket, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
        next_flush = time.monotonic() + FLUSH_SECONDS
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(socket.recv(), timeout=FLUSH_SECONDS)
            except TimeoutError:
                frame = None
            if frame is not None:
                self.handle(frame)
            if time.monotonic() >= next_flush:
                await asyncio.to_thread(self._flush_logged)
                next_flush = time.monotonic() + FLUSH_SECONDS

    def _flush_logged(self) -> None:
        try:
            self.flush_pending()
        except Exception:
            log.exception("jetstream: could not store counts; kept for the next flush")
