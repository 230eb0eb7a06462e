"""The oracle that bounds what the engine's tests can find within the false-alarm budget
(bench/oracle_budget.py) adds up the noise law as the simulator draws it."""

from __future__ import annotations

import dataclasses

import numpy as np

from bench.oracle_budget import _block_sumsq, best_surprise
from detection.engine import EngineConfig
from detection.simulate import simulate_stream


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
