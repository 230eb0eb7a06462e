"""Reads in a storm: GET /api/v1/services/ and /api/v1/services/<slug>/, and the pages, feeds and
badges (web.page_cache), answered by the ASGI server straight from the cached answer or
rendering (web.snapshots), without entering Django.

Why: during a storm the intake keeps both cores busy; a cached answer that still goes through
Django's middleware and a hop to its sync thread waited ~20 ms at the median there (140 ms at
p99), one Redis round trip here takes a fraction of a millisecond. Whatever the cache cannot
answer (a miss, an answer long out of date, the browsable API) goes on to Django, which
computes, stores and serves it with the same rules.

Used when Redis is configured (the cache Django writes is then one this process can read).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache
from django.core.handlers.asgi import ASGIRequest
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from common.asgi import host_allowed, respond, trusted_scheme
from common.cache import loads
from common.clients import client_of_scope
from common.ratelimit import RateLimiter
from reports.forms import country_from_accept_language
from web import page_cache, snapshots

log = logging.getLogger(__name__)

# An answer due for refresh is still served, while it is refreshed, up to this many cache
# periods old; past that a reader waits for Django's fresh answer.
REVALIDATE_WITHIN = 3
# A servable answer is reused from this process's memory for up to a second: in a storm the
# same page is asked for hundreds of times a second, and one Redis round trip and unpickling
# of a ~40 KB page per second per process is enough. At most a second more out of date.
MEMO_SECONDS = 1.0
MEMO_KEYS = 1000
STATUS_PATH = re.compile(r"^/api/v1/services/(?:[-a-zA-Z0-9_]+/)?$")
HEADERS = [
    (b"content-type", b"application/json"),
    (b"vary", b"Accept"),
    (b"allow", b"GET, HEAD, OPTIONS"),
    # What Django's SecurityMiddleware and XFrameOptionsMiddleware send with its answers.
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
# What the security middleware adds to every page (its answer's own headers are cached).
PAGE_HEADERS = HEADERS[3:]


def page_path_pattern() -> re.Pattern:
    """The cached pages, feeds and badges, with or without a language prefix (/hi/, /bn/)."""
    prefixes = "|".join(re.escape(code) for code, _ in settings.LANGUAGES)
    return re.compile(
        rf"^/(?:(?:{prefixes})/)?"
        r"(?:status/[-a-zA-Z0-9_]+/(?:badge\.svg|feed/(?:atom/)?)?"
        r"|incidents/(?:[0-9]+/|feed/(?:atom/)?))?$"
    )


def page_language(scope: dict) -> tuple[str, bool]:
    """The language Django's LocaleMiddleware would render this request in, and whether the
    URL chose it (then the answer does not vary by Accept-Language)."""
    request = ASGIRequest(scope, io.BytesIO())
    i18n_patterns_used, prefixed_default = is_language_prefix_patterns_used(settings.ROOT_URLCONF)
    language = translation.get_language_from_request(request, check_path=i18n_patterns_used)
    from_path = translation.get_language_from_path(request.path_info)
    if not from_path and i18n_patterns_used and not prefixed_default:
        language = settings.LANGUAGE_CODE
    return language, bool(from_path and i18n_patterns_used)


class CachedStatusReads:
    """ASGI wrapper: cached status answers served here, everything else by `app`."""

    def __init__(self, app, redis_url: str) -> None:  # type: ignore[no-untyped-def]
        import redis.asyncio as redis

        self.app = app
        self.redis = redis.from_url(redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.limiter = RateLimiter(redis_url)
        self.renderer = JSONRenderer()
        self.revalidating: set[asyncio.Task] = set()  # strong references until done
        self.page_path = page_path_pattern()
        # key -> (when fetched, monotonic; the servable answer fetched)
        self.memo: dict[str, tuple[float, snapshots.Snapshot]] = {}

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["method"] == "GET" and not settings.DEBUG:
            # DEBUG: the browsable API and the debug toolbar are Django's to render.
            if STATUS_PATH.match(scope["path"]):
                snapshot = await self.cached(scope)
                if snapshot is not None:
                    return await self.serve(scope, send, snapshot)
            elif self.page_path.match(scope["path"]):
                page = await self.cached_page(scope)
                if page is not None:
                    return await self.serve_page(send, *page)
        return await self.app(scope, receive, send)

    async def cached_page(self, scope: dict) -> tuple[snapshots.Snapshot, str, bool] | None:
        """A page's cached rendering, its language and whether the URL chose it, or None."""
        headers = dict(scope.get("headers", []))
        if b"host" not in headers or page_cache.is_personal(
            headers.get(b"cookie", b"").decode("latin-1")
        ):
            return None
        try:
            language, from_path = page_language(scope)
            key = page_cache.page_key(
                scope["path"],
                scope.get("query_string", b"").decode(),
                headers[b"host"].decode("latin-1"),
                trusted_scheme(scope),
                str((scope.get("server") or ("", ""))[1]),
                language,
                country_from_accept_language(
                    headers.get(b"accept-language", b"").decode("latin-1")
                ),
            )
        except UnicodeDecodeError:
            return None
        if key is None:
            return None  # a rendering that is not kept: Django renders it
        snapshot = await self.cached(scope, key=key)
        return None if snapshot is None else (snapshot, language, from_path)

    async def cached(self, scope: dict, key: str | None = None) -> snapshots.Snapshot | None:
        """The cached answer if it may be served now, else None (Django answers).

        An answer due for refresh but only a little older than the cache period is still
        served, while one background request has Django refresh it (stale-while-revalidate):
        no reader waits for a recomputation under load."""
        headers = dict(scope.get("headers", []))
        if not host_allowed(scope):
            return None  # Django answers an unknown Host with its 400
        try:
            key = key or snapshots.answer_key(
                scope["path"],
                scope.get("query_string", b"").decode(),
                headers[b"host"].decode("latin-1"),
                trusted_scheme(scope),
                str((scope.get("server") or ("", ""))[1]),
            )
        except UnicodeDecodeError:
            return None  # Django decides what such a query means
        if key is None:
            return None  # not cacheable: Django computes it
        # Django's own key layout (make_key: KEY_PREFIX, VERSION), so both read the same entries.
        name, key = key, cache.make_key(key)
        remembered = self.memo.get(key)
        if remembered is not None and time.monotonic() - remembered[0] < MEMO_SECONDS:
            return remembered[1]
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.mget(key, cache.make_key(snapshots.PUBLISHED_KEY))
            pipe.exists(cache.make_key(snapshots.refresh_lock_key(name)))
            (raw, raw_published), refreshing = await pipe.execute()
            snapshot = snapshots.Snapshot.from_json(loads(raw))  # JSON only, never pickle
            if snapshot is None:
                return None
            now = time.time()
            published = loads(raw_published)
            published_at = float(published) if isinstance(published, int | float) else 0.0
            if snapshot.servable(now, published_at) or refreshing:
                self.remember(key, snapshot)
                return snapshot
            if now - snapshot.computed_at > REVALIDATE_WITHIN * settings.STATUS_CACHE_SECONDS:
                return None  # too old to show even for a moment: Django recomputes it now
            if await self.redis.set(f"{key}:revalidate", 1, nx=True, ex=5):
                task = asyncio.get_running_loop().create_task(self.revalidate(scope))
                self.revalidating.add(task)
                task.add_done_callback(self.revalidating.discard)
            return snapshot
        except Exception as error:  # Redis is down: Django answers from the database
            log.warning("cached status reads skipped, Redis unavailable: %s", error)
            return None

    def remember(self, key: str, snapshot: snapshots.Snapshot) -> None:
        if len(self.memo) >= MEMO_KEYS:
            self.memo.clear()  # a burst of distinct URLs: start again rather than track ages
        self.memo[key] = (time.monotonic(), snapshot)

    async def revalidate(self, scope: dict) -> None:
        """Have Django recompute and store the answer; nobody waits for this response."""

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: dict) -> None:
            pass

        try:
            await self.app(dict(scope), receive, discard)
        except Exception as error:  # the readers were served; the next one tries again
            log.warning("status answer refresh failed: %s", error)

    async def serve(self, scope: dict, send, snapshot: snapshots.Snapshot) -> None:  # type: ignore[no-untyped-def]
        wait = await self.limiter.refused([("anon", client_of_scope(scope))])
        if wait is not None:
            detail = f"Request was throttled. Expected available in {int(wait)} seconds."
            return await respond(send, 429, {"detail": detail}, retry_after=int(wait))
        body = self.renderer.render(snapshot.body())
        headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def serve_page(  # type: ignore[no-untyped-def]
        self, send, snapshot: snapshots.Snapshot, language: str, from_path: bool
    ) -> None:
        body = snapshot.payload["content"].encode()  # stored as text: the cache holds JSON
        cached = {name.lower(): value for name, value in snapshot.payload["headers"].items()}
        # The rendering's own Vary (Accept-Language, Cookie), as Django would send it.
        vary = cached.pop("vary", "Accept-Language, Cookie")
        headers = [
            *((name.encode(), value.encode("latin-1")) for name, value in cached.items()),
            (b"vary", vary.encode("latin-1")),
            (b"content-language", language.encode()),
            *PAGE_HEADERS,
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
