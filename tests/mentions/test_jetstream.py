"""The Jetstream ingester against a local WebSocket server replaying recorded frames: a
redelivered post, a malformed frame and a dropped connection change no count, the resumed
connection asks for the cursor, and a restart from the stored cursor counts nothing twice."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve

from mentions import jetstream
from mentions.jetstream import JetstreamIngester, post_of, subscribe_url
from mentions.rules import compile_rules
from mentions.tally import Tally

T0 = 1_733_580_000_000_000  # 2024-12-07 14:00 UTC, in microseconds
MINUTE = T0 // 60_000_000


def frame(n: int, text: str, langs: tuple[str, ...] = ("en",)) -> str:
    return json.dumps(
        {
            "did": f"did:plc:author{n}",
            "time_us": T0 + n * 1_000_000,
            "kind": "commit",
            "commit": {
                "rev": f"rev{n}",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": f"rkey{n}",
                "record": {"$type": "app.bsky.feed.post", "text": text, "langs": list(langs)},
            },
        }
    )


RECORDED = [
    frame(1, "is chatgpt down for anyone else?"),
    frame(2, "lovely weather today"),
    frame(3, "WhatsApp डाउन है क्या?", ("hi",)),
    frame(4, "jio cinema down during the final"),  # a false friend: no count
    frame(5, "chatgpt not loading at all"),
]
LATER = [frame(6, "#chatgptdown again"), frame(7, "bkash কাজ করছে না", ("bn",))]


class Store:
    """Stands in for the database: what each flush would commit, and the cursor."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.position: int | None = None

    def flush(self, counts: Counter, position: int, read_until: float) -> None:
        self.counts.update(counts)
        self.position = position


def tally(store: Store) -> Tally:
    return Tally(
        matcher=compile_rules(),
        flush=store.flush,
        dedupe_span=60_000_000,
        popular={"bkash": ["BD"]},
        committed=store.position,
    )


async def replaying_server(requests: list[dict]):  # type: ignore[no-untyped-def]
    """Connection 1: the recorded frames, a malformed frame, a redelivery, then a drop.
    Every later connection: replays from the requested cursor, then the later frames."""

    async def handler(socket) -> None:  # type: ignore[no-untyped-def]
        query = parse_qs(urlsplit(socket.request.path).query)
        requests.append(query)
        if len(requests) == 1:
            for text in RECORDED:
                await socket.send(text)
            await socket.send("{not json")
            await socket.send(RECORDED[0])  # at-least-once: the same post again
            socket.transport.abort()  # a dropped connection, no close frame
            return
        cursor = int(query["cursor"][0])
        for text in RECORDED + LATER:
            if json.loads(text)["time_us"] >= cursor:
                await socket.send(text)
        await asyncio.sleep(30)

    return await serve(handler, "127.0.0.1", 0)


def test_frames_that_are_not_created_posts_are_skipped():
    assert post_of("{not json") is None
    assert post_of(json.dumps({"kind": "identity", "did": "x", "time_us": 1})) is None
    delete = json.loads(RECORDED[0])
    delete["commit"]["operation"] = "delete"
    assert post_of(json.dumps(delete)) is None
    assert post_of(RECORDED[0]).text == "is chatgpt down for anyone else?"


def test_the_subscribe_url_asks_for_posts_only_and_the_cursor():
    url = subscribe_url("ws://127.0.0.1:1/subscribe", 42)
    assert parse_qs(urlsplit(url).query) == {
        "wantedCollections": ["app.bsky.feed.post"],
        "cursor": ["42"],
    }


def test_redelivery_malformed_frame_and_disconnect_count_each_post_once(monkeypatch):
    monkeypatch.setattr(jetstream, "BACKOFF_FIRST", 0.05)
    store = Store()
    requests: list[dict] = []

    async def scenario() -> Tally:
        server = await replaying_server(requests)
        port = server.sockets[0].getsockname()[1]
        ingester = JetstreamIngester(url=f"ws://127.0.0.1:{port}/subscribe", tally=tally(store))
        stop = asyncio.Event()
        task = asyncio.create_task(ingester.run(stop=stop))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if ingester.tally.stats.posts >= 12:  # 5 + 1 redelivered + 4 replayed + 2 later
                break
        stop.set()
        await task
        server.close()
        return ingester.tally

    counted = asyncio.run(scenario())
    assert store.counts == {
        ("chatgpt", "", MINUTE): 3,
        ("whatsapp", "IN", MINUTE): 1,
        ("bkash", "BD", MINUTE): 1,
    }
    assert counted.stats.skipped_frames == 1
    assert counted.stats.duplicates >= 2  # the redelivery and the rewound replay
    assert "cursor" not in requests[0]
    # Resumed REWIND_SECONDS before the last post read: a replay, not a gap.
    assert int(requests[1]["cursor"][0]) == T0 + 5 * 1_000_000 - 5 * 1_000_000
    assert store.position == T0 + 7 * 1_000_000


def test_a_restart_from_the_stored_cursor_counts_no_post_twice():
    store = Store()
    first = tally(store)
    for text in RECORDED:
        first.post(*_args(text))
    first.flush_pending()
    restarted = tally(store)  # a new process: empty memory, the stored cursor
    for text in RECORDED + LATER:
        restarted.post(*_args(text))
    restarted.flush_pending()
    assert store.counts[("chatgpt", "", MINUTE)] == 3
    assert restarted.stats.duplicates == len(RECORDED)


def test_counts_that_fail_to_store_are_kept_for_the_next_flush():
    store = Store()
    failing = tally(store)
    calls = []

    def flaky(counts, position, read_until):  # type: ignore[no-untyped-def]
        calls.append(position)
        if len(calls) == 1:
            raise OSError("database down")
        store.flush(counts, position, read_until)

    failing.flush = flaky
    failing.post(*_args(RECORDED[0]))
    failing.flush_pending()
    assert store.counts == {} and failing.committed is None
    failing.flush_pending()
    assert store.counts == {("chatgpt", "", MINUTE): 1}


def test_a_refused_connection_is_retried_with_backoff(monkeypatch):
    monkeypatch.setattr(jetstream, "BACKOFF_FIRST", 0.01)
    ingester = JetstreamIngester(url="ws://127.0.0.1:9/subscribe", tally=tally(Store()))
    asyncio.run(ingester.run(max_connections=3))
    assert ingester.tally.stats.connections == 3


def _args(text: str) -> tuple:
    post = post_of(text)
    return (f"{post.did}/{post.rkey}", post.time_us, post.time_us / 1e6, post.text, post.langs)


def test_a_post_from_an_impossible_time_is_skipped_not_stored():
    store = Store()
    counted = tally(store)
    for n, time_us in ((1, 10**18), (2, 1_000_000), (3, -5)):
        hostile = json.loads(RECORDED[0])
        hostile["time_us"], hostile["commit"]["rkey"] = time_us, f"hostile{n}"
        post = post_of(json.dumps(hostile))
        if post is not None:
            counted.post(*_args(json.dumps(hostile)))
    counted.flush_pending()
    assert store.counts == {} and store.position is None


def test_a_deeply_nested_frame_is_skipped():
    assert post_of("[" * 100_000 + "]" * 100_000) is None
