"""Status answers served from the cache: computed at most once per STATUS_CACHE_SECONDS (30) per
distinct request (and again after each detection cycle), and kept as the last known answer
while the database is unreachable.

Why: in a storm the same few status URLs are read thousands of times a second while the
database is busy writing reports; every reader gets the same answer anyway. When PostgreSQL is
down the last known status, marked stale, is worth more to a reader than an error.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest

log = logging.getLogger(__name__)

PUBLISHED_KEY = "status:published-at"
# The last known answer is kept this long: through a long database outage, but not forever.
KEEP_SECONDS = 24 * 60 * 60
# While the database fails, one reader per key tries again this often; the others are served
# the stale answer at once instead of each waiting on a dead connection.
RETRY_SECONDS = 5
# At most this long one reader recomputes an answer while the others serve the previous one.
REFRESH_LOCK_SECONDS = 30


@dataclass(frozen=True)
class Snapshot:
    payload: Any
    computed_at: float  # Unix time
    stale: bool = False  # the last refresh failed: the database is unreachable
    retry_at: float = 0.0

    @property
    def as_of(self) -> datetime:
        return datetime.fromtimestamp(self.computed_at, UTC)

    def servable(self, now: float, published_at: float) -> bool:
        """Young enough and newer than the last detection cycle, or the last known answer
        while the database is down and not yet due for another try."""
        fresh = (
            now - self.computed_at < settings.STATUS_CACHE_SECONDS
            and self.computed_at >= published_at
        )
        return fresh or now < self.retry_at

    def body(self) -> dict:
        return {**self.payload, "stale": self.stale, "as_of": self.as_of}


def answer_key(path: str, query: str, host: str, forwarded_proto: str) -> str:
    """One key per answer, the same from Django and from the ASGI fast path (both read the
    raw request): the host and scheme shape the absolute pagination links."""
    raw = f"{host}|{forwarded_proto}|{path}|{query}"
    return f"status:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def request_key(request: HttpRequest) -> str:
    return answer_key(
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.get_host(),
        request.META.get("HTTP_X_FORWARDED_PROTO", ""),
    )


def refresh_lock_key(key: str) -> str:
    return f"{key}:refresh"


def mark_status_published() -> None:
    """Detection wrote new status rows: answers computed before now are out of date."""
    try:
        cache.set(PUBLISHED_KEY, time.time(), KEEP_SECONDS)
    except Exception as error:  # answers then refresh on their own clock
        log.warning("status cache unavailable: %s", error)


def cached_answer(key: str, compute: Callable[[], Any]) -> Snapshot:
    """The answer under `key`: fresh from the cache, recomputed, or the last known one (stale)
    when the database fails. Client errors raised by `compute` (400, 404) propagate uncached;
    a database error propagates only when there is no answer to fall back on. Without a
    working cache every request computes its answer, as if there were no cache."""
    try:
        found = cache.get_many([key, PUBLISHED_KEY])
    except Exception as error:  # the cache server is down: answer from the database
        log.warning("status cache unavailable: %s", error)
        return Snapshot(payload=compute(), computed_at=time.time())
    snapshot: Snapshot | None = found.get(key)
    now = time.time()
    if snapshot is not None:
        if snapshot.servable(now, found.get(PUBLISHED_KEY, 0.0)):
            return snapshot
        if not _add(refresh_lock_key(key), REFRESH_LOCK_SECONDS):
            return snapshot  # another reader is refreshing it
    try:
        payload = compute()
    except DatabaseError:
        if snapshot is None:
            raise
        snapshot = replace(snapshot, stale=True, retry_at=now + RETRY_SECONDS)
    else:
        snapshot = Snapshot(payload=payload, computed_at=now)
    _store(key, snapshot)
    return snapshot


def _add(key: str, timeout: int) -> bool:
    try:
        return cache.add(key, 1, timeout)
    except Exception:  # no cache: nobody else can hold the lock either
        return True


def _store(key: str, snapshot: Snapshot) -> None:
    try:
        cache.set_many({key: snapshot}, KEEP_SECONDS)
        cache.delete(refresh_lock_key(key))
    except Exception as error:  # the answer is still good for this request
        log.warning("status cache unavailable: %s", error)
