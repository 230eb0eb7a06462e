"""What every ingester does with a post, whatever its source: skip a redelivery, match it
against the rules, add it to the counts of its minute, and hand the counts with the position
they reach to `flush` (one transaction: mentions.services.mentions_record).

No Django at import time: the management commands pass `flush` in.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mentions.rules import Matcher, country_hint

log = logging.getLogger(__name__)

# A post's time must be a real minute: not before Bluesky's public launch year, not from the
# future (one hour of clock skew allowed). Anything else (a buggy or hostile server's time_us
# of 10**18) would fail every flush forever, or plant counts at minutes no one reads.
EARLIEST = 1_672_531_200  # 2023-01-01 UTC
FUTURE_SKEW = 3600
# Positions are stored in a signed 64-bit column.
MAX_POSITION = 2**63 - 1

# (service slug, country or "", epoch minute) -> posts
Counts = Counter[tuple[str, str, int]]
# (counts, position, epoch seconds of the post at that position) -> None, in one transaction.
Flush = Callable[[Counts, int, float], None]


@dataclass
class Stats:
    frames: int = 0
    posts: int = 0
    matched: int = 0
    duplicates: int = 0
    skipped_frames: int = 0
    connections: int = 0


@dataclass
class Tally:
    matcher: Matcher
    flush: Flush
    # How far back (in position units) a redelivery can reach: keys older are forgotten.
    dedupe_span: int
    # slug -> countries the service is popular in (for the language hints).
    popular: dict[str, list[str]] = field(default_factory=dict)
    # The position stored by the last flush (None: nothing stored yet). Posts at or before it
    # were counted and committed, by this process or one before a restart.
    committed: int | None = None
    stats: Stats = field(default_factory=Stats)
    last: int | None = None
    last_time: float = 0.0
    _pending: Counts = field(default_factory=Counter)
    _seen: OrderedDict[bytes, int] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.last = self.committed

    def post(
        self, key: str, position: int, epoch_seconds: float, text: str, langs: Iterable[str]
    ) -> None:
        """Count one post (idempotent: a redelivered key or position changes nothing)."""
        self.stats.posts += 1
        if not (
            EARLIEST <= epoch_seconds <= time.time() + FUTURE_SKEW and 0 < position <= MAX_POSITION
        ):
            self.stats.skipped_frames += 1
            return
        if self.committed is not None and position <= self.committed:
            self.stats.duplicates += 1
            return
        # Only a hash of the key, in memory: nothing about the author is kept anywhere.
        digest = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=12).digest()
        if digest in self._seen:
            self.stats.duplicates += 1
            return
        self._seen[digest] = position
        horizon = position - self.dedupe_span
        while self._seen and next(iter(self._seen.values())) < horizon:
            self._seen.popitem(last=False)
        minute = int(epoch_seconds // 60)
        langs = tuple(langs)
        for match in self.matcher.match(text):
            country = country_hint(langs, self.popular.get(match.service, ()))
            self._pending[(match.service, country, minute)] += 1
            self.stats.matched += 1
        if self.last is None or position > self.last:
            self.last, self.last_time = position, epoch_seconds

    def flush_pending(self) -> None:
        """Store the pending counts and the position they reach (also with no new counts: the
        write says the ingester is alive, for /readyz). On failure nothing is lost: the counts
        wait for the next flush."""
        batch = self._take()
        if batch is not None:
            self._settle(batch, self._write(batch))

    async def flush_async(self) -> None:
        """flush_pending with the database write in a thread, so the stream keeps being read
        (only the write leaves the event loop's thread; the counters never do)."""
        batch = self._take()
        if batch is not None:
            self._settle(batch, await asyncio.to_thread(self._write, batch))

    async def flush_every(self, seconds: float, stop: asyncio.Event) -> None:
        """Flush every `seconds` until `stop`, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=seconds)
            await self.flush_async()

    def _take(self) -> tuple[Counts, int, float] | None:
        if self.last is None:
            return None
        pending, self._pending = self._pending, Counter()
        return pending, self.last, self.last_time

    def _write(self, batch: tuple[Counts, int, float]) -> bool:
        try:
            self.flush(*batch)
        except Exception:
            log.exception("mentions: could not store counts; kept for the next flush")
            return False
        return True

    def _settle(self, batch: tuple[Counts, int, float], stored: bool) -> None:
        pending, last, _ = batch
        if stored:
            self.committed = last if self.committed is None else max(self.committed, last)
        else:
            # Not committed: the counts wait for the next flush (nothing lost, nothing doubled).
            self._pending.update(pending)
