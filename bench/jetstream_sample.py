"""Writes bench/data/mentions/jetstream_sample.jsonl.gz: a Jetstream stream of post events in
Jetstream's exact frame format (kind commit/identity/account; commit create/delete of
app.bsky.feed.post with record.text, record.langs, time_us), for the matcher's bench, the
ingester's tests and the demo's replayed mentions.

This machine cannot reach Bluesky, so the sample is generated, not captured: the everyday posts
are built from the labelled posts' vocabulary and a set of everyday sentences in the languages
Jetstream carries most, the outage minutes are the labelled outage posts. Its rate is
bench/mentions.py's FIREHOSE_POSTS_PER_S (published figure; see docs/mentions.md).

    .venv/bin/python bench/jetstream_sample.py   # deterministic (seed 7)
"""

from __future__ import annotations

import gzip
import json
import random
import string
from pathlib import Path

DATA = Path(__file__).with_name("data") / "mentions"
SAMPLE = DATA / "jetstream_sample.jsonl.gz"
LABELLED = DATA / "labelled_posts.txt"
START_US = 1_733_580_000_000_000  # 2024-12-07 14:00 UTC
POSTS_PER_S = 36.1  # bench/mentions.py FIREHOSE_POSTS_PER_S
EVENTS = 6000

EVERYDAY = {
    "en": [
        "good morning everyone, coffee first",
        "finally finished the painting I started in march",
        "the bus was late again and it's raining",
        "new episode of the podcast is out, link in bio",
        "anyone have a good recipe for dal? mine is always bland",
        "hot take: pineapple on pizza is fine",
        "reading a great book about the history of maps",
        "my cat knocked the plant down again",
        "the sunset tonight was unreal",
        "can't believe it's already december",
        "going down to the beach this weekend, who's in",
        "shipping a new release of our open source library today",
        "the match last night was incredible, what a goal",
        "is it just me or is everyone tired this week",
        "trying to learn rust, the borrow checker hates me",
        "birding report: two herons and a kingfisher by the canal",
    ],
    "pt": [
        "bom dia, hoje o dia vai ser longo",
        "alguém sabe um bom restaurante em são paulo?",
        "que jogo incrível ontem à noite",
        "terminei de ler o livro, recomendo muito",
    ],
    "ja": [
        "おはようございます。今日は寒いですね",
        "新しいイラストを描きました",
        "今日のランチはラーメンでした",
    ],
    "de": ["guten morgen, der zug ist wieder zu spät", "heute gibt es kuchen im büro"],
    "es": ["buenos días a todos", "qué partido tan bueno anoche"],
    "hi": ["आज मौसम बहुत अच्छा है", "नई फिल्म देखी, बहुत मज़ा आया", "चाय पीने का समय हो गया"],
    "bn": ["আজকের আবহাওয়া খুব সুন্দর", "নতুন বই পড়ছি", "সবাইকে শুভ সকাল"],
}
LANGUAGE_SHARE = {
    "en": 0.55,
    "pt": 0.12,
    "ja": 0.15,
    "de": 0.05,
    "es": 0.05,
    "hi": 0.04,
    "bn": 0.04,
}


def _labelled() -> list[tuple[list[str], list[str], str]]:
    posts = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        labels, langs, text = line.split("\t")
        posts.append(([] if labels == "-" else labels.split(","), langs.split(","), text))
    return posts


def _did(rng: random.Random) -> str:
    return "did:plc:" + "".join(rng.choices(string.ascii_lowercase + "234567", k=24))


def _rkey(rng: random.Random) -> str:
    return "3l" + "".join(rng.choices(string.ascii_lowercase + "234567", k=11))


def _post(rng: random.Random, time_us: int, text: str, langs: list[str]) -> dict:
    created = time_us // 1_000_000
    return {
        "did": _did(rng),
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": _rkey(rng),
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": _rkey(rng),
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": _iso(created),
                "langs": langs,
                "text": text,
            },
            "cid": "bafyrei" + "".join(rng.choices(string.ascii_lowercase + "234567", k=52)),
        },
    }


def _iso(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def generate(seed: int = 7) -> list[dict]:
    """The sample's events, oldest first: everyday posts with deletes, identity and account
    events, the labelled posts scattered through, and a ChatGPT outage burst in minute 2."""
    rng = random.Random(seed)
    labelled = _labelled()
    outage = [post for post in labelled if "chatgpt" in post[0]]
    languages, weights = zip(*LANGUAGE_SHARE.items(), strict=True)
    events: list[dict] = []
    time_us = START_US
    for n in range(EVENTS):
        time_us += max(1, int(rng.expovariate(POSTS_PER_S) * 1_000_000))
        roll = rng.random()
        if roll < 0.01:
            events.append(
                {
                    "did": _did(rng),
                    "time_us": time_us,
                    "kind": "identity",
                    "identity": {
                        "did": _did(rng),
                        "handle": "someone.bsky.social",
                        "seq": n,
                        "time": _iso(time_us // 1_000_000),
                    },
                }
            )
        elif roll < 0.02:
            events.append(
                {
                    "did": _did(rng),
                    "time_us": time_us,
                    "kind": "account",
                    "account": {
                        "active": True,
                        "did": _did(rng),
                        "seq": n,
                        "time": _iso(time_us // 1_000_000),
                    },
                }
            )
        elif roll < 0.06:
            events.append(
                {
                    "did": _did(rng),
                    "time_us": time_us,
                    "kind": "commit",
                    "commit": {
                        "rev": _rkey(rng),
                        "operation": "delete",
                        "collection": "app.bsky.feed.post",
                        "rkey": _rkey(rng),
                    },
                }
            )
        elif roll < 0.08:
            _labels, langs, text = rng.choice(labelled)
            events.append(_post(rng, time_us, text, langs))
        elif 120 <= (time_us - START_US) / 1e6 < 180 and roll < 0.14:
            _labels, langs, text = rng.choice(outage)
            events.append(_post(rng, time_us, text, langs))
        else:
            language = rng.choices(languages, weights)[0]
            text = " ".join(rng.sample(EVERYDAY[language], k=rng.choice((1, 1, 2))))
            events.append(_post(rng, time_us, text, [language]))
    return events


def main() -> None:
    events = generate()
    with gzip.open(SAMPLE, "wt", encoding="utf-8", compresslevel=9) as file:
        for event in events:
            file.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{SAMPLE}: {len(events)} events")


if __name__ == "__main__":
    main()
