"""The one outbound call of the official app: a conditional GET of a vendor's document.

Everything the poller fetches goes through `fetch`, so it can be swapped for the project's
shared outbound HTTP module at merge. Until then it holds its own guards, because the server at
the other end may be slow, huge or point back inside:
- a TOTAL deadline over connect, headers and body (a per-read socket timeout alone lets a server
  that drips one byte a second hold the worker for ever);
- a size cap, read in chunks, so a huge answer costs at most MAX_BYTES of memory;
- redirects followed only to http(s) hosts that resolve to public addresses, at most
  MAX_REDIRECTS of them (a vendor page moved to a new host still works; a redirect to
  127.0.0.1, the cloud's metadata address or the private network does not).
The configured URL itself is the operator's data (the demo and tests serve pages on loopback),
so only where a redirect points is checked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

# A status document is a few kilobytes to a few hundred (Google's incidents.json, the largest,
# lists years of incidents); 2 MiB is generous, and bounds the poller's memory.
MAX_BYTES = 2 * 1024 * 1024
# Whole request, all included: a poll every few minutes can afford to give up on a page that
# needs more than this, and the worker serves every other page meanwhile.
DEADLINE_SECONDS = 10.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
USER_AGENT = "opendown-official-status/1"


class FetchError(Exception):
    """The document could not be fetched (network, HTTP status, deadline, size, redirect)."""


@dataclass
class Fetched:
    body: bytes | None  # None: 304 Not Modified
    etag: str
    last_modified: str


def _public_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(address.is_global for address in addresses)


class _OutwardRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        target = urlsplit(newurl)
        if target.scheme not in ("http", "https") or not _public_host(target.hostname or ""):
            raise FetchError(f"redirect to a non-public address refused: {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_OutwardRedirects())


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    deadline_seconds: float = DEADLINE_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET `url` with If-None-Match / If-Modified-Since; raises FetchError on any failure."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url[:200]}")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    stop = time.monotonic() + deadline_seconds
    try:
        # The socket timeout bounds each blocking step; the loop below bounds their sum.
        with _OPENER.open(request, timeout=deadline_seconds) as response:
            chunks, size = [], 0
            while True:
                if time.monotonic() > stop:
                    raise FetchError(f"{url}: no complete answer within {deadline_seconds:g} s")
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url}: more than {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(
                b"".join(chunks),
                response.headers.get("ETag", "")[:200],
                response.headers.get("Last-Modified", "")[:100],
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag, last_modified)
        raise FetchError(f"{url}: HTTP {error.code}") from error
    except FetchError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FetchError(f"{url}: {getattr(error, 'reason', error)}") from error
