from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import pytest

from tests.helpers import QuietHandler, local_server

FIXTURES = Path(__file__).resolve().parents[2] / "official" / "fixtures"


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
