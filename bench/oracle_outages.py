"""What an oracle of the simulator finds in time: how much of the engine's misses is information.

Usage: python bench/oracle_outages.py [--seeds S [S ...]] [--streams N]

The streams are those of ``make eval-outages`` (seeds 1000 S to 1000 S + N - 1). For every slow
surge and partial outage, an oracle tests, minute by minute from the event's start to its
deadline, the same windows as the engine (``EngineConfig.scales_minutes``) with the same gates:
a crowd of ``min_excess_possible`` extra reports, ``min_ratio_possible`` x the expected count
of the latest ``current_minutes``, and a negative binomial tail below ``p_possible`` after the
Bonferroni correction over the scales. Instead of a fitted baseline it knows the simulator's
noise law (``bench.simulate.Stream``):

- ``profile``: the smooth rate (daily and weekly rhythm, growth, news bumps), not the day's
  or the 15-minute slot's noise draw: the window's variance adds both noises;
- ``day``: the smooth rate times the day's draw (an oracle of today's level), not the slot's.

The engine estimates what the first oracle knows from four weeks of counts and does not know
what the second one does. Nothing here is used by the engine. The last line is the summary.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.simulate import DEADLINES, SimEvent, Stream, simulate_stream  # noqa: E402
from detection.engine import EngineConfig  # noqa: E402

SLOT_MINUTES = 15  # the simulator's slot noise is one draw per 15 minutes
DAY_MINUTES = 1440


def _surprise(x: float, mean: np.ndarray, minutes: np.ndarray, stream: Stream, day: bool) -> float:
    """-log10 P(X >= x) for the window sum, NB with the window's mean and variance."""
    mu = float(mean.sum())
    # Independent draws per slot (and per day): Var = mu + alpha * sum over draws of mean^2.
    by_slot = np.bincount(minutes // SLOT_MINUTES - minutes[0] // SLOT_MINUTES, mean)
    var = mu + stream.slot_alpha * float((by_slot**2).sum())
    if not day:
        by_day = np.bincount(minutes // DAY_MINUTES - minutes[0] // DAY_MINUTES, mean)
        var += stream.day_alpha * float((by_day**2).sum())
    alpha = max((var - mu) / mu**2, 1e-9)
    size = 1.0 / alpha
    return float(-stats.nbinom.logsf(x - 1.0, size, size / (size + mu)) / math.log(10.0))


def first_flag(stream: Stream, event: SimEvent, day: bool, config: EngineConfig) -> int | None:
    """The first minute (index) up to the event's deadline at which the oracle flags it."""
    mean = stream.smooth * stream.day_factor if day else stream.smooth
    s_possible = -math.log10(config.p_possible) + math.log10(len(config.scales_minutes))
    deadline = min(event.reference + DEADLINES[event.kind], event.end - 1)
    now_k = int(config.current_minutes)
    for now in range(event.start, deadline + 1):
        recent = slice(now - now_k + 1, now + 1)
        ratio = stream.counts[recent].sum() / mean[recent].sum()
        if ratio < config.min_ratio_possible:
            continue
        for k in config.scales_minutes:
            minutes = np.arange(now - k + 1, now + 1)
            x = float(stream.counts[minutes].sum())
            if x - mean[minutes].sum() < config.min_excess_possible:
                continue
            if _surprise(x, mean[minutes], minutes, stream, day) >= s_possible:
                return now
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026])
    parser.add_argument("--streams", type=int, default=16)
    args = parser.parse_args()
    config = EngineConfig()
    kinds = ("surge", "partial")
    found = {(kind, oracle): 0 for kind in kinds for oracle in ("profile", "day")}
    total = dict.fromkeys(kinds, 0)
    for base in args.seeds:
        for seed in range(base * 1000, base * 1000 + args.streams):
            stream = simulate_stream(np.random.default_rng(seed))
            for event in (e for e in stream.events if e.kind in kinds):
                total[event.kind] += 1
                for oracle in ("profile", "day"):
                    if first_flag(stream, event, oracle == "day", config) is not None:
                        found[event.kind, oracle] += 1
    parts = []
    for kind in kinds:
        line = f"{kind} within {DEADLINES[kind]} min"
        for oracle in ("profile", "day"):
            line += f", {oracle} oracle {found[kind, oracle]}/{total[kind]}"
        parts.append(line)
    print(f"oracle ({len(args.seeds) * args.streams} streams): {'; '.join(parts)}")


if __name__ == "__main__":
    main()
