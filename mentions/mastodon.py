"""The Mastodon ingester: one server's public streaming API (Server-Sent Events, read with
httpx + httpx-sse), off unless MASTODON_STREAMING_URL names a server.

Each server sees its own part of the network (its users and the accounts they follow), so the
counts are a sample, as Jetstream's are not. The streaming API has no replay: after a restart
the ingester starts from now; a status delivered twice on the stream (same id within
DEDUPE_IDS) counts once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from httpx_sse import SSEError, aconnect_sse

from mentions.tally import Tally

log = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/streaming/public"
# A status is at most a few KiB of HTML (500 characters by default, 5000 on big servers).
MAX_EVENT_CHARS = 64 * 1024
# Mastodon sends a heartbeat comment every 15 s: a minute without one is a dead connection.
READ_TIMEOUT = 60.0
FLUSH_SECONDS = 5.0
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 60.0
# Status ids are Snowflake-like (milliseconds << 16): a minute of ids, for redeliveries.
DEDUPE_IDS = 60_000 << 16

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


@dataclass(frozen=True)
class Status:
    id: int
    epoch_seconds: float
    text: str
    langs: tuple[str, ...]


def text_of(content: str) -> str:
    """A status's HTML content as plain text (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", _BREAK.sub(" ", content)))


def status_of(event: str, data: str) -> Status | None:
    """The new public status an SSE event carries (not a boost, a delete or garbage), or None."""
    if event != "update" or len(data) > MAX_EVENT_CHARS:
        return None
    try:
        status = json.loads(data)
        if status.get("reblog") is not None:
            return None  # a boost repeats a post already counted where it was written
        created = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
        language = status.get("language")
        return Status(
            id=int(status["id"]),
            epoch_seconds=created.timestamp(),
            text=text_of(str(status["content"]))[:MAX_EVENT_CHARS],
            langs=(language,) if isinstance(language, str) else (),
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
        return None


@dataclass
class MastodonIngester:
    server: str  # https://mastodon.example
    tally: Tally
    access_token: str = ""

    def handle(self, event: str, data: str) -> None:
        self.tally.stats.frames += 1
        status = status_of(event, data)
        if status is None:
            self.tally.stats.skipped_frames += 1
            return
        # Counted at the minute it reached us, not at its created_at: a status federated hours
        # late, or a remote server's wrong clock, says nothing about that past minute.
        self.tally.post(
            f"{self.server}/{status.id}", status.id, time.time(), status.text, status.langs
        )

    async def run(self, *, stop: asyncio.Event | None = None, max_connections: int = 0) -> None:
        stop = stop or asyncio.Event()
        flusher = asyncio.create_task(self.tally.flush_every(FLUSH_SECONDS, stop))
        try:
            await self._connect_until(stop, max_connections)
        finally:
            stop.set()
            await flusher

    async def _connect_until(self, stop: asyncio.Event, max_connections: int) -> None:
        backoff = BACKOFF_FIRST
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)
        async with httpx.AsyncClient(
            timeout=timeout, headers=headers, follow_redirects=False
        ) as client:
            while not stop.is_set():
                if max_connections and self.tally.stats.connections >= max_connections:
                    break
                self.tally.stats.connections += 1
                frames_before = self.tally.stats.frames
                reader = asyncio.create_task(self._read(client))
                stopped = asyncio.create_task(stop.wait())
                # A quiet server sends only heartbeats: do not wait for one to notice `stop`.
                await asyncio.wait({reader, stopped}, return_when=asyncio.FIRST_COMPLETED)
                stopped.cancel()
                reader.cancel()
                try:
                    await reader
                except asyncio.CancelledError:
                    pass
                except (httpx.HTTPError, SSEError, OSError) as error:
                    log.warning("mastodon: connection lost (%s)", error)
                if self.tally.stats.frames > frames_before:
                    backoff = BACKOFF_FIRST
                if stop.is_set():
                    break
                delay = random.uniform(0, backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _read(self, client: httpx.AsyncClient) -> None:
        url = self.server.rstrip("/") + STREAM_PATH
        async with aconnect_sse(client, "GET", url) as source:
            source.response.raise_for_status()
            log.info("mastodon: connected to %s", url)
            async for sse in source.aiter_sse():
                self.handle(sse.event, sse.data)
