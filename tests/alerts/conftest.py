from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.helpers import QuietHandler, local_server


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each request; answers `status`. It answers
    the verification request by echoing its challenge (as a receiver that wants the alerts
    does) unless `echo` is off; those requests are kept apart, in `verifications`."""

    url: str = ""
    status: int = 200
    echo: bool = True
    requests: list[dict] = field(default_factory=list)
    verifications: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver(settings):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = True  # the receiver lives on loopback
    state = Receiver()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = {"headers": dict(self.headers), "body": body}
            if self.headers.get("X-Opendown-Event") == "url_verification":
                state.verifications.append(request)
                answer = {"challenge": json.loads(body)["challenge"]} if state.echo else {}
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode())
                return
            state.requests.append(request)
            self.send_response(state.status)
            self.end_headers()

    with local_server(Handler) as url:
        state.url = f"{url}/hook"
        yield state
