"""The oracle that bounds what the engine's tests can find within the false-alarm budget
(bench/oracle_budget.py) adds up the noise law as the simulator draws it."""

from __future__ import annotations

import dataclasses

import numpy as np

from bench.oracle_budget import _block_sumsq, best_surprise, window_alpha
from bench.simulate import simulate_stream
from detection.engine import Baseline, EngineConfig, score_window


def test_block_shares_squared_are_summed_block_by_block():
    rng = np.random.default_rng(0)
    mean = rng.uniform(0, 3, 200)
    cum = np.r_[0.0, np.cumsum(mean)]
    a = rng.integers(0, 199, 50)
    b = np.minimum(a + rng.integers(1, 80, 50), 200)

    got = _block_sumsq(cum, a, b, 15)

    for i in range(50):
        blocks = np.arange(a[i], b[i]) // 15
        plain = sum(mean[a[i] : b[i]][blocks == k].sum() ** 2 for k in np.unique(blocks))
        assert abs(got[i] - plain) <= 1e-9 * max(plain, 1.0)


def test_the_oracle_flags_a_tripled_hour_and_not_its_own_expectation():
    s = simulate_stream(np.random.default_rng(1), history_days=7, days=9)
    at = s.scored_from + 3 * 1440 + 600
    counts = np.round(s.smooth * s.day_factor)
    quiet = best_surprise(dataclasses.replace(s, counts=counts), s.smooth, EngineConfig())
    counts[at : at + 60] = np.round(3 * s.smooth[at : at + 60]) + 1
    loud = best_surprise(dataclasses.replace(s, counts=counts), s.smooth, EngineConfig())

    threshold = -np.log10(EngineConfig().p_possible)
    assert quiet.max() < threshold
    assert loud[at - s.scored_from + 30] > threshold


def test_the_oracle_decides_as_the_engine_s_window_test_given_its_alphas():
    # The oracle's gates (crowd, multiple of normal, the latest minutes' share) and p-value
    # are the engine's: engine.score_window, fed the oracle's expected counts and each
    # window's alpha, calls "possible" on exactly the minutes the oracle does.
    config = EngineConfig()
    s = simulate_stream(np.random.default_rng(5), history_days=7, days=9)
    best = best_surprise(s, s.smooth, config)
    threshold = -np.log10(config.p_possible) + np.log10(len(config.scales_minutes))
    flagged = np.flatnonzero(best >= threshold)
    rng = np.random.default_rng(0)
    minutes = np.unique(np.r_[flagged, rng.integers(0, len(best), 400)]) + s.scored_from
    width = max(config.scales_minutes)
    cum = np.r_[0.0, np.cumsum(s.smooth)]
    scales = config.scale_buckets(60.0)
    alphas = np.stack([window_alpha(s, cum, minutes + 1 - k, minutes + 1) for k in scales], 1)
    baseline = Baseline(
        profile=np.zeros((len(minutes), 168)),
        level=np.ones(len(minutes)),
        dispersion=alphas,
        bucket_seconds=60.0,
        slot_seconds=3600.0,
        floor=0.0,
        scale_buckets=scales,
        fitted_at=0.0,
    )
    rows = minutes[:, None] + np.arange(1 - width, 1)

    result = score_window(s.counts[rows], s.smooth[rows], baseline, config)

    assert len(flagged) > 10
    np.testing.assert_array_equal(result.level > 0, best[minutes - s.scored_from] >= threshold)
