from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


class QuietHandler(BaseHTTPRequestHandler):
    """A local test server's request handler that keeps the test output clean."""

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port while the block runs; yields its base URL.
    Tests never reach the internet: webhooks and status pages are served here."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


async def asgi_get(
    app, path: str, *, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, dict[str, str], bytes]:  # type: ignore[no-untyped-def]
    """GET `path` from an ASGI app as a client on 198.51.100.9 would (Host: testserver unless
    `headers` say otherwise): the status, headers and body of its answer."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")] if headers is None else headers,
        "client": ("198.51.100.9", 5555),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    answer = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], answer, sent[1]["body"]


class RecordingApp:
    """An ASGI app standing in for Django behind the edge: records the paths that reach it and
    answers 299 (a status no real answer has) with `body`."""

    def __init__(self, body: bytes = b"") -> None:
        self.paths: list[str] = []
        self.body = body

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": self.body})


def with_throttle_rates(**rates: str | None):
    """override_settings for the API's rate limits only; the rest of REST_FRAMEWORK stays.

    Replacing the whole dict would leak: DRF reads some of it once, when its modules are
    first imported, which may happen inside the override.
    """
    from django.conf import settings
    from django.test import override_settings

    framework = settings.REST_FRAMEWORK
    current = framework["DEFAULT_THROTTLE_RATES"]
    return override_settings(
        REST_FRAMEWORK={**framework, "DEFAULT_THROTTLE_RATES": {**current, **rates}}
    )


def store_minute_counts(service, start: datetime, counts: np.ndarray, country: str = "US") -> None:
    """Roll-up rows for one series: counts[i] reports in minute start + i (first problem type)."""
    from reports.models import ReportCount

    problem = service.problem_types.first()
    ReportCount.objects.bulk_create(
        [
            ReportCount(
                service=service,
                country=country,
                problem_type=problem,
                minute=start + timedelta(minutes=int(i)),
                count=int(counts[i]),
            )
            for i in np.flatnonzero(counts)
        ],
        batch_size=5000,
    )


async def asgi_call(
    app,  # type: ignore[no-untyped-def]
    method: str,
    path: str,
    *,
    query: bytes = b"",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    client: str = "198.51.100.9",
) -> tuple[int, dict[str, str], bytes]:
    """One request through a full ASGI app (config.asgi: the edge, then Django's ASGI handler)
    as uvicorn would make it: the body once, then nothing until the client disconnects after
    the answer. Returns the status, headers and the whole body."""
    import asyncio

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": (client, 5555),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    sent: list[dict] = []
    done = asyncio.Event()
    first = True

    async def receive() -> dict:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    answer = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], answer, b"".join(m.get("body", b"") for m in sent[1:])
