"""The Mastodon ingester against a local server speaking the streaming API (Server-Sent
Events): updates count, boosts, deletes, heartbeats and garbage do not, a redelivered status
counts once, and a dropped stream is reconnected."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mentions import mastodon
from mentions.mastodon import MastodonIngester, status_of, text_of
from mentions.rules import compile_rules
from mentions.tally import Tally


def status(n: int, content: str, language: str | None = "en", reblog: object = None) -> str:
    return json.dumps(
        {
            "id": str(110_000_000_000_000_000 + n),
            "created_at": "2024-12-07T14:00:05.000Z",
            "language": language,
            "content": content,
            "url": f"https://mastodon.example/@someone/{n}",
            "reblog": reblog,
        }
    )


FIRST = [
    ": thump\n\n",
    f"event: update\ndata: {status(1, '<p>Is <b>ChatGPT</b> down? &amp; nothing loads</p>')}\n\n",
    f"event: update\ndata: {status(2, '<p>nice day</p>')}\n\n",
    f"event: update\ndata: {status(3, '<p>chatgpt down</p>', reblog={'id': '1'})}\n\n",
    "event: delete\ndata: 110000000000000001\n\n",
    "event: update\ndata: {garbage\n\n",
    f"event: update\ndata: {status(1, '<p>Is ChatGPT down?</p>')}\n\n",  # redelivered
]
SECOND = [f"event: update\ndata: {status(4, '<p>व्हाट्सएप डाउन है</p>', 'hi')}\n\n"]


class StreamingHandler(BaseHTTPRequestHandler):
    connections: list[str] = []

    def do_GET(self) -> None:
        type(self).connections.append(self.headers.get("Authorization", ""))
        if self.path != "/api/v1/streaming/public":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        events = FIRST if len(type(self).connections) == 1 else SECOND
        for event in events:
            self.wfile.write(event.encode())
            self.wfile.flush()
        # The first stream drops after its events; later ones stay open (heartbeats only).
        if len(type(self).connections) > 1:
            try:
                for _ in range(40):
                    self.wfile.write(b": thump\n\n")
                    self.wfile.flush()
                    threading.Event().wait(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the ingester stopped and hung up

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def streaming_server():
    StreamingHandler.connections = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StreamingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_status_html_becomes_text():
    assert text_of("<p>Is <b>ChatGPT</b> down?<br>&amp; yes</p>") == "Is ChatGPT down? & yes "


def test_boosts_deletes_and_garbage_are_not_statuses():
    assert status_of("update", status(3, "x", reblog={"id": "1"})) is None
    assert status_of("delete", "110000000000000001") is None
    assert status_of("update", "{garbage") is None
    assert status_of("update", status(1, "<p>a</p>")).langs == ("en",)


def test_the_streaming_fixture_counts_each_status_once_across_a_reconnect(
    streaming_server, monkeypatch
):
    monkeypatch.setattr(mastodon, "BACKOFF_FIRST", 0.05)
    stored: Counter = Counter()
    positions: list[int] = []

    def flush(counts, position, read_until):  # type: ignore[no-untyped-def]
        stored.update(counts)
        positions.append(position)

    tally = Tally(matcher=compile_rules(), flush=flush, dedupe_span=mastodon.DEDUPE_IDS)
    port = streaming_server.server_address[1]
    ingester = MastodonIngester(
        server=f"http://127.0.0.1:{port}", tally=tally, access_token="token-1"
    )

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ingester.run(stop=stop))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if tally.stats.matched >= 2:
                break
        stop.set()
        await task

    before = int(time.time() // 60)
    asyncio.run(scenario())
    after = int(time.time() // 60)
    # Counted at the minute each status arrived, not at its created_at.
    assert {(slug, country) for slug, country, _ in stored} == {("chatgpt", ""), ("whatsapp", "IN")}
    assert all(before <= minute <= after for _, _, minute in stored)
    assert sum(stored.values()) == 2
    assert tally.stats.duplicates == 1
    assert len(StreamingHandler.connections) >= 2
    assert StreamingHandler.connections[0] == "Bearer token-1"
    assert positions[-1] == 110_000_000_000_000_004
