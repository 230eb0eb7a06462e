from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.helpers import QuietHandler, local_server


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each request; answers `status`."""

    url: str = ""
    status: int = 200
    requests: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver(settings):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = True  # the receiver lives on loopback
    state = Receiver()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append({"headers": dict(self.headers), "body": body})
            self.send_response(state.status)
            self.end_headers()

    with local_server(Handler) as url:
        state.url = f"{url}/hook"
        yield state
