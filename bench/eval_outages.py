"""Recall and delay of the detector on simulated report streams (bench.simulate).

Usage: python bench/eval_outages.py [--streams N] [--seed S] [--no-write]
                                   [--families F ...] [--family-streams N]

Each stream has four weeks of warm-up history and one evaluated month with a crash, a slow
surge and a partial outage; ``score_series`` runs over it minute by minute with hourly
refits: the decisions of the live cycle. Prints, per kind, how many events were flagged
within the goal (crash 5 min, surge 30 min after reaching 2x, partial 10 min), the median
delay, then false alarm episodes per series-month. The default seed (2026) was never used to
choose a constant: the engine's constants come from statistics and the product, and the
streams it was developed on used seeds below 100.

Then the same for every family of ordinary behaviour (``bench.simulate.FAMILIES``: harmless
bursts, level drift, holidays, growth, a volume that doubles in a month), ``--family-streams``
streams each: per family the false alarm episodes per series-month, those reaching "outage",
and the events found in time per kind; the families the engine was never tuned on are summed
apart (held out). Writes the "outages" section of docs/accuracy.json. The last line printed
is the summary (the base streams' figures, then the held-out families').
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.accuracy import update_accuracy  # noqa: E402
from bench.simulate import (  # noqa: E402
    DEADLINES,
    FAMILIES,
    TUNED_FAMILIES,
    StreamResult,
    evaluate_levels,
    simulate_stream,
)
from detection.engine import score_series  # noqa: E402


def run_stream(seed: int, family: str = "base") -> StreamResult:
    stream = simulate_stream(np.random.default_rng(seed), family=family)
    times = stream.start + np.arange(len(stream.counts)) * 60.0
    level = score_series(times, stream.counts, bucket_seconds=60.0).level
    return evaluate_levels(stream, level)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026, help="first seed (default 2026)")
    parser.add_argument("--no-write", action="store_true", help="do not update accuracy.json")
    others = [f for f in FAMILIES if f != "base"]
    parser.add_argument("--families", nargs="*", default=others, choices=others)
    parser.add_argument("--family-streams", type=int, default=8, help="streams per family")
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = [args.seed * 1000 + i for i in range(args.streams)]
    # Each family its own seeds (and none of the base streams'): seed * 1000 + 100 * f + i.
    jobs = [
        (args.seed * 1000 + 100 * (FAMILIES.index(f)) + i, f)
        for f in args.families
        for i in range(args.family_streams)
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_stream, seeds))
        by_family = list(pool.map(run_stream, *zip(*jobs, strict=True))) if jobs else []
    print(
        f"scored {len(seeds) + len(jobs)} streams x 30 days in "
        f"{time.perf_counter() - started:.0f} s"
    )
    section: dict[str, object] = {}
    parts = []
    for kind, deadline in DEADLINES.items():
        delays = [d for r in results for d in r.delays[kind]]
        found = [d for d in delays if d is not None]
        in_time = sum(d <= deadline for d in found)
        median = statistics.median(found) if found else float("nan")
        worst = max(found) if found else float("nan")
        print(
            f"{kind:8} {in_time}/{len(delays)} within {deadline} min, {len(found)} flagged at "
            f"all; delay median {median:.0f} min, worst {worst:.0f} min"
        )
        section[kind] = {
            "recall": round(in_time / len(delays), 3) if delays else None,
            "n": len(delays),
            "median_delay_min": None if not found else round(median, 1),
        }
        parts.append(f"{kind} {in_time}/{len(delays)} (median {median:.0f} min)")
    false = sum(r.false_alarms for r in results)
    rate = false / len(results)  # one evaluated month per stream
    section["false_alarms_per_series_month"] = round(rate, 3)
    families, held = {}, []
    for family in ["base", *args.families]:
        mine = (
            results
            if family == "base"
            else [r for (_, f), r in zip(jobs, by_family, strict=True) if f == family]
        )
        figures = _family_figures(mine)
        families[family] = figures
        if family not in TUNED_FAMILIES:
            held.extend(mine)
        tuned = "tuned on" if family in TUNED_FAMILIES else "held out"
        found = ", ".join(f"{k} {v['in_time']}/{v['n']}" for k, v in figures["in_time"].items())
        print(
            f"family {family:9} ({tuned}, {len(mine)} streams): "
            f"{figures['false_per_series_month']:.2f} false episodes per series-month, "
            f"{figures['outage_per_series_month']:.2f} reaching outage; in time: {found}"
        )
    section["families"] = families
    tail = ""
    if held:
        figures = _family_figures(held)
        section["held_out"] = figures
        tail = (
            f"; held-out families {figures['false_per_series_month']:.2f} false, "
            f"{figures['outage_per_series_month']:.2f} outage per series-month"
        )
    if not args.no_write:
        update_accuracy("outages", section)
    print(f"outages: {', '.join(parts)}; false alarms {rate:.2f} per series-month{tail}")


def _family_figures(results: list[StreamResult]) -> dict[str, object]:
    """False episodes (all, and those reaching outage) per series-month, events in time."""
    months = max(len(results), 1)  # one evaluated month per stream
    in_time = {}
    for kind, deadline in DEADLINES.items():
        delays = [d for r in results for d in r.delays[kind]]
        in_time[kind] = {
            "in_time": sum(d is not None and d <= deadline for d in delays),
            "n": len(delays),
        }
    return {
        "false_per_series_month": round(sum(r.false_alarms for r in results) / months, 3),
        "outage_per_series_month": round(sum(r.false_outages for r in results) / months, 3),
        "in_time": in_time,
    }


if __name__ == "__main__":
    main()
