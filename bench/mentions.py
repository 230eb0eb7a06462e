"""`make bench-mentions`: how fast the mention rules match a Jetstream stream on one core, and
how precise they are on a labelled sample of posts.

Speed: every frame of bench/data/mentions/jetstream_sample.jsonl.gz goes through what the
ingester does per frame (mentions.jetstream.post_of: JSON decode, keep created posts, then the
one compiled automaton, mentions.rules.Matcher.match), in one process, over and over for
BENCH_SECONDS. The rate it is compared with is FIREHOSE_POSTS_PER_S.

Precision: bench/data/mentions/labelled_posts.txt (written by hand, false friends included;
the rules were revised against it) and labelled_holdout.txt (written after the last revision,
never used to change a rule): of the (post, service) pairs the rules match, how many the label
says really report the service down; recall is printed too.

Last line: mentions: N posts/s matched against R rules, X times the recorded stream's rate
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentions.jetstream import post_of
from mentions.rules import compile_rules

DATA = Path(__file__).with_name("data") / "mentions"
SAMPLE = DATA / "jetstream_sample.jsonl.gz"
LABELLED = DATA / "labelled_posts.txt"
HOLDOUT = DATA / "labelled_holdout.txt"
BENCH_SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
# The whole Bluesky post collection at its busiest hour as published by someone consuming all
# of it: "at peak hours, that's 130K+ posts per hour" (A. Houlier, "Building real-time Bluesky
# analytics: ingesting 2.2M posts/day from the firehose", dev.to, 2026-03): 130,000 / 3,600.
# The recorded sample is generated at this rate (bench/jetstream_sample.py).
FIREHOSE_POSTS_PER_S = 130_000 / 3_600


def labelled_posts(path: Path = LABELLED) -> list[tuple[set[str], list[str], str]]:
    posts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            labels, langs, text = line.split("\t")
            posts.append(
                (set() if labels == "-" else set(labels.split(",")), langs.split(","), text)
            )
    return posts


def precision(path: Path = LABELLED) -> tuple[int, int, int]:
    """(matched pairs, of which true, labelled true pairs) over a labelled sample."""
    matcher = compile_rules()
    matched = true = 0
    labelled_true = 0
    for labels, _langs, text in labelled_posts(path):
        found = {match.service for match in matcher.match(text)}
        matched += len(found)
        true += len(found & labels)
        labelled_true += len(labels)
    return matched, true, labelled_true


def speed() -> tuple[float, int, int, float]:
    """(posts/s, rules, posts per pass, the sample's own posts/s)."""
    matcher = compile_rules()
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as file:
        frames = file.read().splitlines()
    posts_per_pass = 0
    first = last = None
    for frame in frames:
        post = post_of(frame)
        if post is not None:
            posts_per_pass += 1
            first = post.time_us if first is None else first
            last = post.time_us
    sample_rate = (posts_per_pass - 1) / ((last - first) / 1e6)
    posts = 0
    matched = 0
    began = time.perf_counter()
    while time.perf_counter() - began < BENCH_SECONDS:
        for frame in frames:
            post = post_of(frame)
            if post is not None:
                posts += 1
                matched += len(matcher.match(post.text))
    elapsed = time.perf_counter() - began
    assert matched > 0, "the sample's outage posts must match"
    return posts / elapsed, matcher.rule_count, posts_per_pass, sample_rate


def main() -> None:
    for name, path in (("labelled", LABELLED), ("held-out", HOLDOUT)):
        matched, true, labelled_true = precision(path)
        print(
            f"precision on {len(labelled_posts(path))} {name} posts: {true}/{matched} matched "
            f"(post, service) pairs really say the service is down ({true / matched:.1%}); "
            f"recall {true}/{labelled_true} ({true / labelled_true:.1%})"
        )
    rate, rules, per_pass, sample_rate = speed()
    print(
        f"sample: {per_pass} posts per pass at {sample_rate:.1f} posts/s; firehose rate used: "
        f"{FIREHOSE_POSTS_PER_S:.1f} posts/s (published peak hour, see the module docstring)"
    )
    print(
        f"mentions: {rate:.0f} posts/s matched against {rules} rules, "
        f"{rate / FIREHOSE_POSTS_PER_S:.0f} times the recorded stream's rate"
    )


if __name__ == "__main__":
    main()
