from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "official" / "fixtures"


@dataclass
class StatusServer:
    """Serves official/fixtures/ like a real status page: ETag, Last-Modified, 304."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    fail: bool = False  # answer 503 to everything
    overrides: dict[str, bytes] = field(default_factory=dict)  # path -> body


@pytest.fixture
def status_server():
    state = StatusServer()

    class Handler(BaseHTTPRequestHandler):
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

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
