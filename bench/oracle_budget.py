"""What an oracle of the simulator flags in time within the false-alarm budget.

Usage: python bench/oracle_budget.py [--seeds S [S ...]] [--streams N]

``bench/oracle_outages.py`` tests only the minutes of each event, so it bounds what the
engine's tests find at the engine's significance, not at its false-alarm rate. This script
scans every minute of each evaluated month with the engine's windows and gates (the scales of
``EngineConfig.scales_minutes``, a crowd of ``min_excess_possible``, ``min_ratio_possible`` x
the latest ``current_minutes``, a window counts only while its latest ``rise_minutes`` and
``current_minutes`` carry half their share of its excess) and the engine's hysteresis
(``engine.step_state``), over a range of significances, and scores the levels as ``make
eval-outages`` does (``simulate.evaluate_levels``). Instead of a fitted baseline each oracle
knows the simulator's noise law (``bench.simulate.Stream``) and:

- ``rhythm``: the daily and weekly rhythm and growth, not the news bumps (news surprises it
  as it surprises the engine), nor the day's or the 15-minute slot's noise draw;
- ``profile``: the news bumps too (``oracle_outages``' profile oracle).

Nothing here is used by the engine. The last line is the summary: per oracle, the largest
significance of the grid whose false alarms stay within the budget (1 episode per
series-month over the streams) and what it flags in time there.
"""

from __future__ import annotations

import argparse
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.simulate import (  # noqa: E402
    DEADLINES,
    Stream,
    StreamResult,
    evaluate_levels,
    simulate_stream,
)
from detection import engine  # noqa: E402

ORACLES = ("rhythm", "profile")
P_GRID = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2)
BUDGET = 1.0  # false episodes per series-month (the goal)
SLOT_MINUTES = 15  # the simulator's slot noise: one draw per 15 minutes
DAY_MINUTES = 1440


def _block_sumsq(cum: np.ndarray, a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    """Sum over the blocks of ``width`` minutes that windows [a, b) touch of (the window's
    share of the block's mean)^2; ``cum``: cumulative mean with a leading 0."""
    n = len(cum) - 1
    edges = np.minimum(np.arange(0, n + width, width), n)
    block = cum[edges[1:]] - cum[edges[:-1]]
    sq = np.r_[0.0, np.cumsum(block**2)]
    first, last = a // width, (b - 1) // width
    left = cum[np.minimum((first + 1) * width, b)] - cum[a]
    right = cum[b] - cum[np.maximum(last * width, a)]
    middle = sq[np.maximum(last, first + 1)] - sq[first + 1]
    return np.where(first == last, (cum[b] - cum[a]) ** 2, left**2 + right**2 + middle)


def window_alpha(stream: Stream, cum: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The oracle's negative binomial alpha of the windows [a, b) (minute indices), ``cum``:
    its cumulative mean with a leading 0. Var = mu + slot_alpha * sum of slot shares^2 +
    day_alpha * sum of day shares^2: one gamma draw per slot and per day, neither known."""
    mu = cum[b] - cum[a]
    var = (
        mu
        + stream.slot_alpha * _block_sumsq(cum, a, b, SLOT_MINUTES)
        + stream.day_alpha * _block_sumsq(cum, a, b, DAY_MINUTES)
    )
    return np.maximum((var - mu) / mu**2, 1e-9)


def best_surprise(stream: Stream, mean: np.ndarray, config: engine.EngineConfig) -> np.ndarray:
    """Per minute from ``scored_from``: the largest -log10 p over the scales whose window
    passes the engine's gates (0 where none does), under the oracle's negative binomial
    (``window_alpha``). Decides as ``engine.score_window`` does with the same expected counts
    and alphas (tests/bench/test_oracle_budget.py holds them together)."""
    counts = stream.counts
    cx, cm = np.r_[0.0, np.cumsum(counts)], np.r_[0.0, np.cumsum(mean)]
    now = np.arange(stream.scored_from, len(counts))
    b = now + 1

    def window(k: int) -> tuple[np.ndarray, np.ndarray]:
        return cx[b] - cx[b - k], cm[b] - cm[b - k]

    k_now = int(config.current_minutes)
    spans = {max(1, round(config.rise_minutes)), k_now}
    best = np.zeros(len(now))
    for k in config.scales_minutes:
        x, mu = window(k)
        excess = x - mu
        x_now, mu_now = window(min(k, k_now))
        ok = (excess >= config.min_excess_possible) & (x_now >= config.min_ratio_possible * mu_now)
        for span in spans:
            if k > span:
                xs, ms = window(span)
                ok &= xs - ms >= 0.5 * excess * span / k
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            continue
        size = 1.0 / window_alpha(stream, cm, b[idx] - k, b[idx])
        p = size / (size + mu[idx])
        surprise = -stats.nbinom.logsf(x[idx] - 1.0, size, p) / math.log(10.0)
        best[idx] = np.maximum(best[idx], surprise)
    return best


def run_stream(seed: int) -> dict[str, list[StreamResult]]:
    """Per oracle, one result per significance of ``P_GRID``."""
    config = engine.EngineConfig()
    stream = simulate_stream(np.random.default_rng(seed))
    adjust = math.log10(len(config.scales_minutes))  # Bonferroni over the scales, as the engine
    needed = np.array([-math.log10(p) + adjust for p in P_GRID])
    out = {}
    for oracle in ORACLES:
        mean = stream.smooth if oracle == "profile" else stream.smooth / stream.bumps
        raw = (best_surprise(stream, mean, config)[:, None] >= needed).astype(np.int8)
        state = engine.init_state(len(P_GRID))
        level = np.zeros((len(P_GRID), len(stream.counts)), dtype=np.int8)
        for i, row in enumerate(raw):
            state, level[:, stream.scored_from + i] = engine.step_state(state, row, config)
        out[oracle] = [evaluate_levels(stream, lv) for lv in level]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026])
    parser.add_argument("--streams", type=int, default=16)
    args = parser.parse_args()
    seeds = [base * 1000 + i for base in args.seeds for i in range(args.streams)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_stream, seeds))
    summary = []
    for oracle in ORACLES:
        kept = None
        for j, p in enumerate(P_GRID):
            per = [r[oracle][j] for r in results]
            in_time = {
                kind: sum(d is not None and d <= deadline for r in per for d in r.delays[kind])
                for kind, deadline in DEADLINES.items()
            }
            false = sum(r.false_alarms for r in per) / len(per)
            line = ", ".join(f"{kind} {n}/{len(per)}" for kind, n in in_time.items())
            print(f"{oracle:8} p {p:g}: {line}; false alarms {false:.2f} per series-month")
            if false <= BUDGET:
                kept = f"{oracle} oracle at p {p:g}: {line} (false alarms {false:.2f})"
        summary.append(kept or f"{oracle} oracle: over the budget at every p")
    print(f"oracle within the budget ({len(seeds)} streams): " + "; ".join(summary))


if __name__ == "__main__":
    main()
