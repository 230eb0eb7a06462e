"""Benchmark the live detection cycle (and the hourly baseline fit).

Usage: python bench/detection.py [--sizes 1000 10000] [--countries 5]

Series: N services x M countries plus N service-overall series (parent = sum of children).

What is timed:
- Baseline fit (the hourly job): ``fit_baseline`` on eight weeks of synthetic minute counts for
  a SUBSET of the series (eight weeks x 50k series of minutes is 4 billion cells, too big for
  a benchmark), reported per series and extrapolated linearly (the fit is vectorised, linear in
  series x buckets).
- Live cycle, for ALL N*M + N series: expected counts of the last 15 minutes from the baseline
  profile arrays, the 1/5/15-minute negative-binomial tests, the 15-minute threshold band and
  one hysteresis step. The baselines for the cycle are synthetic profile arrays of realistic
  shape (generated directly, not fitted) plus the latest 15 minutes of counts, which is all
  the cycle reads. Best of 3 runs.
- Naive: the same maths with one Python iteration per series and scipy called per series,
  measured on a subset and extrapolated linearly to all series (said so in the output).
The last line printed is the summary.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detection.engine import (
    MONDAY0,
    WEEK,
    Baseline,
    EngineConfig,
    fit_baseline,
    init_state,
    live_cycle,
)

CFG = EngineConfig()
BUCKET = 60.0
NOW = MONDAY0 + 2900 * WEEK + 3 * 86_400 + 14 * 3600  # a Thursday 14:00 UTC, 2025


def daily_shape(slots: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Relative activity per hourly slot of the week: night trough, evening peak, weekends."""
    hour = (slots % 24)[None, :]
    dow = (slots // 24)[None, :]
    shape = 1.0 + 0.7 * np.sin(2 * np.pi * (hour - 9.0 - phase[:, None]) / 24.0)
    return shape * np.where(dow >= 5, 0.8, 1.0)


def synthetic_rates(n_services: int, n_countries: int, rng: np.random.Generator) -> np.ndarray:
    """(n_services * (n_countries + 1), 168) mean reports per minute per slot of the week.

    Service popularity is log-normal (median ~0.05 reports/min, a few at tens per minute);
    country shares are Dirichlet; each country has its own time-zone phase. Children first,
    then one overall row per service (the sum of its countries).
    """
    slots = np.arange(168)
    popularity = rng.lognormal(np.log(0.05), 1.5, n_services)
    shares = rng.dirichlet(np.full(n_countries, 0.7), n_services)
    phase = rng.uniform(-8, 8, n_countries)
    per_country = daily_shape(slots, phase)  # (M, 168)
    child = popularity[:, None, None] * shares[:, :, None] * per_country[None]
    overall = child.sum(axis=1)
    return np.concatenate([child.reshape(-1, 168), overall])


def synthetic_baseline(rates: np.ndarray, rng: np.random.Generator) -> Baseline:
    """Baseline arrays as the hourly fit would leave them (profile, level, dispersion)."""
    n = rates.shape[0]
    return Baseline(
        profile=rates * BUCKET / 60.0,
        level=rng.uniform(0.9, 1.1, n),
        dispersion=np.column_stack([rng.uniform(0.02, 0.3, n) for _ in range(3)]),
        bucket_seconds=BUCKET,
        slot_seconds=3600.0,
        floor=CFG.prior_rate_per_minute,
        scale_buckets=CFG.scale_buckets(BUCKET),
        fitted_at=NOW,
    )


def latest_counts(baseline: Baseline, rng: np.random.Generator, spike_frac: float) -> np.ndarray:
    """(n, 15) latest minute counts: NB noise around the baseline, a few series spiking."""
    times = NOW - 15 * BUCKET + np.arange(15) * BUCKET
    mu = baseline.expected(times)
    gamma = rng.gamma(1 / baseline.dispersion[:, :1], baseline.dispersion[:, :1] * mu)
    counts = rng.poisson(gamma).astype(float)
    spiking = rng.random(len(counts)) < spike_frac
    counts[spiking, -5:] += rng.poisson(20 * mu[spiking, -5:] + 30)
    return counts


def naive_cycle(
    recent: np.ndarray, baseline: Baseline, levels: list[int], runs: list[list[int]]
) -> None:
    """The same maths, one series at a time, scipy called per series and scale."""
    times = NOW - 15 * BUCKET + np.arange(15) * BUCKET
    s_pos, s_out = -math.log10(CFG.p_possible), -math.log10(CFG.p_outage)
    adjust = math.log10(len(baseline.scale_buckets))
    for i in range(recent.shape[0]):
        one = baseline.take(np.array([i]))
        exp = one.expected(times)[0]
        raw, best = 0, 0.0
        for j, k in enumerate(baseline.scale_buckets):
            x, mu = recent[i, -k:].sum(), max(exp[-k:].sum(), 1e-9)
            size = 1 / one.dispersion[0, j]
            s = -stats.nbinom.logsf(x - 1, size, size / (size + mu)) / math.log(10) - adjust
            s = max(s, 0.0) if x > mu else 0.0
            best = max(best, s * min(max((x - mu) / CFG.min_excess_possible, 0), 1))
            if s >= s_out and x - mu >= CFG.min_excess_outage:
                raw = 2
            elif s >= s_pos and x - mu >= CFG.min_excess_possible:
                raw = max(raw, 1)
        mu15 = max(exp.sum(), 1e-9)
        size = 1 / one.dispersion[0, -1]
        q = CFG.p_possible / len(baseline.scale_buckets)
        _threshold = max(stats.nbinom.isf(q, size, size / (size + mu15)) + 1, mu15 + 10)
        _score = 1 - 10 ** (-best / s_out)
        run = runs[i]
        run[0] = run[0] + 1 if raw >= 1 else 0
        run[1] = run[1] + 1 if raw >= 2 else 0
        levels[i] = max(levels[i], 2 if run[1] >= 2 else 1 if run[0] >= 2 else 0)


def bench_fit(n_services: int, n_countries: int, rng: np.random.Generator) -> float:
    """Seconds per series to fit eight weeks of minute counts (subset of the series)."""
    rates = synthetic_rates(n_services, n_countries, rng)
    weeks = 8
    minutes = np.arange(weeks * 7 * 1440)
    slot = (minutes // 60) % 168
    counts = rng.poisson(rates[:, slot]).astype(np.float64)
    started = time.perf_counter()
    fit_baseline(counts, NOW - weeks * WEEK, BUCKET, CFG)
    elapsed = time.perf_counter() - started
    return elapsed / counts.shape[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--countries", type=int, default=5)
    parser.add_argument("--naive-subset", type=int, default=300)
    parser.add_argument("--fit-services", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    m = args.countries

    per_series_fit = bench_fit(args.fit_services, m, rng)
    n_fit = args.fit_services * (m + 1)
    print(
        f"baseline fit (hourly job): {per_series_fit * 1e3:.2f} ms/series on {n_fit} series x "
        f"8 weeks of minutes; extrapolated "
        + ", ".join(f"{n}x{m}: {per_series_fit * n * (m + 1):.0f} s" for n in args.sizes)
    )

    summary = ""
    for n in args.sizes:
        rates = synthetic_rates(n, m, rng)
        baseline = synthetic_baseline(rates, rng)
        recent = latest_counts(baseline, rng, spike_frac=0.001)
        total = recent.shape[0]
        state = init_state(total)
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            result, _state, _level = live_cycle(recent, NOW - 15 * BUCKET, baseline, state, CFG)
            best = min(best, time.perf_counter() - started)
        sub = min(args.naive_subset, total)
        idx = rng.choice(total, sub, replace=False)
        started = time.perf_counter()
        naive_cycle(recent[idx], baseline.take(idx), [0] * sub, [[0, 0] for _ in range(sub)])
        naive = (time.perf_counter() - started) / sub * total
        print(
            f"cycle {n}x{m} ({total} series incl. {n} overall): {best:.3f} s "
            f"(best of 3); naive loop {naive:.1f} s (extrapolated from {sub} series); "
            f"raw possible {int((result.level >= 1).sum())}, "
            f"outage {int((result.level == 2).sum())}"
        )
        summary = f"detection: {n}x{m} in {best:.2f} s, {naive / best:.0f}x naive"
    print(summary)


if __name__ == "__main__":
    main()
