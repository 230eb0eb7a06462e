"""Pages in a storm: HTTP caching headers for shared caches, and pages served from a cached
rendering (web.snapshots) instead of being rendered per visitor.

Why: in an outage everybody opens the same page (the ChatGPT page) at once. Rendering it costs
tens of milliseconds of database and template work, and its numbers change at most once per
detection cycle (every minute) anyway. So:
- every anonymous page answer says `public, s-maxage, stale-while-revalidate, stale-if-error`,
  so the reverse proxy in front (deploy/nginx.conf.template) serves the storm from its cache;
- a page that misses the proxy is rendered at most once per STATUS_CACHE_SECONDS (and again
  after each detection cycle) per URL, host, scheme and language, and served from that
  rendering, in production by the ASGI edge without entering Django (web.cached_reads).

What is personal is never cached: a request carrying a session (the admin) or a flash message
(the "thank you" after reporting) is rendered for its reader and marked `private, no-store`.
Pages carry no CSRF token (nor its cookie) for the same reason; see web.report_form.report_submit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers

from reports.forms import country_from_accept_language
from web import snapshots

# Anything older than one more detection cycle (60 s) may be shown while the proxy fetches a
# fresh copy: a page at most ~1.5 min behind beats a storm of visitors waiting on the app.
STALE_WHILE_REVALIDATE = 60
# While the app is down the proxy keeps showing the last page it had, as the status API does
# with its last known answer (snapshots.KEEP_SECONDS).
STALE_IF_ERROR = snapshots.KEEP_SECONDS
# Cookies that make an answer personal (Django's defaults; the admin's session, flash messages).
PERSONAL_COOKIES = ("sessionid", "messages")
# What a rendering keeps of the view's answer (middleware adds the rest on every response).
CACHED_HEADERS = ("Content-Type", "Cache-Control", "Vary")


def shared_cache_control(seconds: int | None = None, browser_seconds: int = 0) -> dict[str, Any]:
    """Cache-Control for answers every visitor shares: shared caches keep it `seconds`;
    browsers revalidate at once by default (max-age=0), so a reader who just reported sees
    their report."""
    return {
        "public": True,
        "max_age": browser_seconds,
        "s_maxage": settings.STATUS_CACHE_SECONDS if seconds is None else seconds,
        "stale_while_revalidate": STALE_WHILE_REVALIDATE,
        "stale_if_error": STALE_IF_ERROR,
    }


def cache_publicly(
    response: HttpResponse, seconds: int | None = None, browser_seconds: int = 0
) -> HttpResponse:
    """Mark a successful shared answer cacheable by proxies (errors are left alone)."""
    if response.status_code == 200:
        patch_cache_control(response, **shared_cache_control(seconds, browser_seconds))
    return response


def is_personal(cookies: dict[str, str] | str) -> bool:
    """Whether a request's cookies (Django's dict, or the raw header at the edge) make its
    answer personal."""
    if isinstance(cookies, str):
        return any(f"{name}=" in cookies for name in PERSONAL_COOKIES)
    return any(name in cookies for name in PERSONAL_COOKIES)


def page_key(
    path: str, query: str, host: str, scheme: str, server_port: str, language: str, region: str
) -> str | None:
    """One key per rendering, or None when the page is rendered without being kept (a search,
    junk parameters: snapshots.normalised_query), so no client can grow the cache with variants
    of one page. The key is made of the full path (a language prefix included), the
    normalised, allow-listed query, the allowed host and the trusted scheme (absolute links),
    the language the page is rendered in (chosen by LocaleMiddleware from the URL prefix, or
    else the cookie and Accept-Language) and the region Accept-Language names (the report form
    preselects that country: reports.forms), each from a bounded set."""
    return snapshots.answer_key(
        path, query, host, scheme, server_port, kind="page", variant=f"{language}|{region}"
    )


class NotCanonical(Exception):
    """Raised by a cached view that read a query value it does not know (a category that does
    not exist, a history page past the last): the visitor is sent to the canonical page, which
    is cached once, instead of each junk value storing its own copy (issue 25: 600 junk
    queries stored 25.6 MB). `canonical` holds the query values to keep."""

    def __init__(self, **canonical: object) -> None:
        super().__init__("not the canonical query")
        self.canonical = canonical


def canonical_redirect(request: HttpRequest, keep: dict[str, object]) -> HttpResponse:
    query = urlencode(sorted((name, str(value)) for name, value in keep.items() if value))
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


class _NotShared(Exception):
    """The view answered something not to share (a redirect, a 4xx): pass it on uncached."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def cached_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    browser_seconds: int = 0,
    params: tuple[str, ...] = (),
) -> Any:
    """Serve `view` from a cached rendering refreshed like the status answers. Use as
    `@cached_page` or `@cached_page(browser_seconds=60, params=("history",))`: how long
    browsers may keep it, and the query parameters the view reads. A cacheable parameter the
    view does not read, or a value it does not know (NotCanonical), redirects to the
    canonical page: only real filter values make a cached copy."""
    if view is None:
        return lambda view: cached_page(view, browser_seconds=browser_seconds, params=params)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unread = (set(request.GET) & snapshots.CACHEABLE_PARAMETERS) - set(params)
        if unread and request.method in ("GET", "HEAD"):
            return canonical_redirect(request, {p: request.GET.get(p) for p in params})
        try:
            return serve(request, *args, **kwargs)
        except NotCanonical as junk:
            return canonical_redirect(request, junk.canonical)

    def serve(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or is_personal(request.COOKIES):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_store=True)
            return response

        def render() -> dict[str, Any]:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                raise _NotShared(response)
            if hasattr(response, "render"):
                response.render()
            cache_publicly(response, browser_seconds=browser_seconds)
            # Vary: Cookie, so a browser holding a flash message does not reuse this copy;
            # Accept-Language even under a language prefix: its region picks the form's country.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            return {
                # Text, not bytes: the cache holds JSON only (common/cache.py); every cached
                # page, feed and badge is UTF-8.
                "content": response.content.decode("utf-8"),
                "headers": {name: response[name] for name in CACHED_HEADERS if name in response},
            }

        # get_host() has checked the Host against ALLOWED_HOSTS; request.scheme honours
        # X-Forwarded-Proto only when a proxy is configured to set it.
        key = page_key(
            request.path,
            request.META.get("QUERY_STRING", ""),
            request.get_host(),
            request.scheme,
            str(request.META.get("SERVER_PORT", "")),
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            country_from_accept_language(request.headers.get("Accept-Language", "")),
        )
        try:
            snapshot = snapshots.cached_answer(key, render)
        except _NotShared as not_shared:
            return not_shared.response
        response = HttpResponse(snapshot.payload["content"])
        for name, value in snapshot.payload["headers"].items():
            response[name] = value
        return response

    return wrapper
