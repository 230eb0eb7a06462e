from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from common import outbound
from tests.helpers import QuietHandler, local_server

FIXTURES = Path(__file__).resolve().parents[2] / "official" / "fixtures"
# Plays a vendor's server on the internet: a loopback address that common.outbound is told
# is public, so the tests can run with OFFICIAL_ALLOW_PRIVATE_TARGETS off, as in production.
VENDOR_HOST = "127.0.0.2"


@dataclass
class StatusServer:
    """Serves official/fixtures/ like a real status page: ETag, Last-Modified, 304."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    fail: bool = False  # answer 503 to everything
    overrides: dict[str, bytes] = field(default_factory=dict)  # path -> body


@pytest.fixture
def status_server(settings):
    settings.OFFICIAL_ALLOW_PRIVATE_TARGETS = True  # the recorded pages are served on loopback
    state = StatusServer()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.requests.append({"path": self.path, "headers": dict(self.headers)})
            if state.fail:
                self.send_response(503)
                self.end_headers()
                return
            body = state.overrides.get(self.path)
            if body is None:
                target = FIXTURES / self.path.lstrip("/")
                if not target.is_file():
                    self.send_response(404)
                    self.end_headers()
                    return
                body = target.read_bytes()
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(0, usegmt=True))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with local_server(Handler) as url:
        state.url = url
        yield state


@contextmanager
def _serve_as_vendor(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer((VENDOR_HOST, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{VENDOR_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def vendor_server(
    settings, monkeypatch
) -> Callable[[type[BaseHTTPRequestHandler]], AbstractContextManager[str]]:
    """`with vendor_server(Handler) as url:` serves Handler on VENDOR_HOST, judged public.

    Private targets are NOT allowed: only the public/private rule is patched, for that one
    address, and it is the address connected to. Every other loopback, private or metadata
    address (a redirect's target, say) is refused exactly as in production.
    """
    settings.OFFICIAL_ALLOW_PRIVATE_TARGETS = False
    real = outbound.address_is_public
    monkeypatch.setattr(
        outbound, "address_is_public", lambda address: str(address) == VENDOR_HOST or real(address)
    )
    return _serve_as_vendor
