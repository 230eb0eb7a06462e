"""Status answers served from the cache: computed at most once per STATUS_CACHE_SECONDS (30) per
distinct request (and again after each detection cycle), and kept as the last known answer
while the database is unreachable.

Why: in a storm the same few status URLs are read thousands of times a second while the
database is busy writing reports; every reader gets the same answer anyway. When PostgreSQL is
down the last known status, marked stale, is worth more to a reader than an error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from django.http.request import split_domain_port
from django_countries import countries

from outages.models import Category, Level

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

    def to_json(self) -> dict:
        # Not dataclasses.asdict: it deep-copies, and DRF's ReturnDict cannot be copied.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, value: object) -> Snapshot | None:
        """The snapshot a cache entry holds, or None for anything else (JSON only: common.cache)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(**value)
        except TypeError:
            return None


# The query parameters a cached answer may depend on, with the filters' own choices; anything
# else (junk parameters, free-text search, an odd page spelling) is computed without being
# stored, so no client can grow the cache with variants of one answer.
CACHEABLE_PARAMETERS = {"page", "history", "category", "country", "status"}
# Parameters that number a page of a list (the API's pages, a service page's past incidents).
PAGE_PARAMETERS = ("page", "history")
MAX_CACHED_PAGE = 1000


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries)


# The values each filter has (web.filters, web.views.home); anything else never makes a key.
# Pages are bounded by MAX_CACHED_PAGE here and by the views (a page past the last is a 404
# in the API and a redirect to the canonical page on the pages: web.page_cache.NotCanonical).
FILTER_VALUES: dict[str, Callable[[], Collection[str]]] = {
    "category": lambda: Category.values,
    "status": lambda: Level.values,
    "country": _country_codes,
}


def normalised_query(query: str) -> str | None:
    """The canonical form of a cacheable query string (sorted, allow-listed), else None."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=8)
    except ValueError:
        return None
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names) or not set(names) <= CACHEABLE_PARAMETERS:
        return None
    values = dict(pairs)
    for name in PAGE_PARAMETERS:
        page = values.get(name)
        if page is not None and not (page.isascii() and page.isdigit() and page[0] != "0"):
            return None
        if page is not None and int(page) > MAX_CACHED_PAGE:
            return None
    for name, allowed in FILTER_VALUES.items():
        if name in values and values[name] not in allowed():
            return None  # not a value the filter has: computed (a 400, a redirect), not kept
    return urlencode(sorted(pairs))


def answer_key(
    path: str,
    query: str,
    host: str,
    scheme: str,
    server_port: str,
    *,
    kind: str = "status",
    variant: str = "",
) -> str | None:
    """One key per answer, the same from Django and from the ASGI fast path, or None when the
    request is not cacheable. `host` is an allowed Host (checked by the caller) and `scheme`
    the trusted one: both shape the absolute links. A Host naming another port than the
    server's is not cached (ports would be free variants). `variant` is whatever else the
    answer depends on, from a bounded set (a page's language and region)."""
    canonical = normalised_query(query)
    if canonical is None:
        return None
    _domain, port = split_domain_port(host)
    if port and port != server_port:
        return None
    raw = f"{host.lower()}|{scheme}|{path}|{canonical}|{variant}"
    return f"{kind}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def request_key(request: HttpRequest) -> str | None:
    # get_host() has checked the Host against ALLOWED_HOSTS; scheme honours
    # SECURE_PROXY_SSL_HEADER only when it is configured (a trusted proxy).
    return answer_key(
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.get_host(),
        request.scheme,
        str(request.META.get("SERVER_PORT", "")),
    )


def refresh_lock_key(key: str) -> str:
    return f"{key}:refresh"


def mark_status_published() -> None:
    """Detection wrote new status rows: answers computed before now are out of date."""
    try:
        cache.set(PUBLISHED_KEY, time.time(), KEEP_SECONDS)
    except Exception as error:  # answers then refresh on their own clock
        log.warning("status cache unavailable: %s", error)


def cached_answer(key: str | None, compute: Callable[[], Any]) -> Snapshot:
    """The answer under `key`: fresh from the cache, recomputed, or the last known one (stale)
    when the database fails. Client errors raised by `compute` (400, 404) propagate uncached;
    a database error propagates only when there is no answer to fall back on. Without a
    working cache every request computes its answer, as if there were no cache; so does a
    request that is not cacheable (key None)."""
    if key is None:
        return Snapshot(payload=compute(), computed_at=time.time())
    try:
        found = cache.get_many([key, PUBLISHED_KEY])
    except Exception as error:  # the cache server is down: answer from the database
        log.warning("status cache unavailable: %s", error)
        return Snapshot(payload=compute(), computed_at=time.time())
    snapshot = Snapshot.from_json(found.get(key))
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
        cache.set_many({key: snapshot.to_json()}, KEEP_SECONDS)
        cache.delete(refresh_lock_key(key))
    except Exception as error:  # the answer is still good for this request
        log.warning("status cache unavailable: %s", error)
