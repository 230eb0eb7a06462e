"""The one outbound call of the official app: a conditional GET of a vendor's document.

It goes through the project's outbound module (common/outbound.py), because the server at the
other end may be slow, huge or point back inside: one TOTAL deadline over connect, headers,
body and redirects; a size cap; each address checked and then connected to (no second DNS
lookup); redirects followed only to public addresses, at most MAX_REDIRECTS of them. Loopback
and private targets are allowed only where OFFICIAL_ALLOW_PRIVATE_TARGETS says so (the demo's
recorded pages and the tests' local servers).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from common import outbound

# A status document is a few kilobytes to a few hundred (Google's incidents.json, the largest,
# lists years of incidents); 2 MiB is generous, and bounds the poller's memory.
MAX_BYTES = 2 * 1024 * 1024
# Whole request, all included: a poll every few minutes can afford to give up on a page that
# needs more than this, and the worker serves every other page meanwhile.
DEADLINE_SECONDS = 10.0
MAX_REDIRECTS = 3
USER_AGENT = "opendown-official-status/1"


class FetchError(Exception):
    """The document could not be fetched (network, HTTP status, deadline, size, redirect)."""


@dataclass
class Fetched:
    body: bytes | None  # None: 304 Not Modified
    etag: str
    last_modified: str


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    deadline_seconds: float = DEADLINE_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET `url` with If-None-Match / If-Modified-Since; raises FetchError on any failure."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = outbound.request(
            "GET",
            url,
            headers=headers,
            deadline=deadline_seconds,
            max_bytes=max_bytes,
            max_redirects=MAX_REDIRECTS,
            allow_private=settings.OFFICIAL_ALLOW_PRIVATE_TARGETS,
        )
    except outbound.OutboundError as error:
        raise FetchError(f"{url[:200]}: {error}") from error
    if response.status == 304:
        return Fetched(None, etag, last_modified)
    if response.status != 200:
        raise FetchError(f"{url[:200]}: HTTP {response.status}")
    return Fetched(
        response.body,
        response.headers.get("ETag", "")[:200],
        response.headers.get("Last-Modified", "")[:100],
    )
