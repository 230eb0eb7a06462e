"""Request-wide behaviour that belongs to no single app."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached is a 503 with Retry-After, not a 500: the client
    did nothing wrong and may retry shortly (PostgreSQL restarting, failing over)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Connection-level failures only; a bad query (ProgrammingError...) stays a 500.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable for %s: %s", request.path, exception)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"detail": "The database is unavailable; retry shortly."}, status=503
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for the HTML pages only: the API's answers (and the feeds and
    badges) go out exactly as before, whatever the client accepts.

    BREACH: Django masks the CSRF token anew in every response and, since 4.2, pads each gzip
    stream with random bytes (Heal The Breach), so a page carrying a token leaks nothing.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)


# NUL (PostgreSQL refuses it in text), lone surrogates (not UTF-8) and other control characters.
BAD_QUERY_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BadQueryMiddleware:
    """Query values no page or filter can mean answer 400 before any view reads them: a NUL
    would otherwise reach PostgreSQL and fail as a DataError (a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if any(BAD_QUERY_CHARACTERS.search(text) for text in (name, *values)):
                detail = f"Query parameter {name!r} holds characters that are not allowed."
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": detail}, status=400)
                return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404s under /api/ are JSON like every other API answer (a URL no route matches, e.g. a
    slug with characters slugs cannot have); pages keep Django's own 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500 under /api/ is JSON too (the error itself goes to the log, never to the client)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    from django.views.defaults import server_error as page_server_error

    return page_server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A 400 Django raises itself (a Host not allowed, a malformed request) under /api/: JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    from django.views.defaults import bad_request as page_bad_request

    return page_bad_request(request, exception)
