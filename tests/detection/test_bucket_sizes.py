"""Issue 26 on plain arrays: any bucket size and little history, how long an excess must last,
and a crowd now rather than a drip summed over hours."""

from __future__ import annotations

import numpy as np
import pytest

from detection.engine import (
    OUTAGE,
    Baseline,
    EngineConfig,
    fit_baseline,
    score_series,
    score_window,
)

START = 1_735_689_600.0  # 2025-01-01 00:00 UTC


def run(values: np.ndarray, bucket_seconds: float) -> np.ndarray:
    times = START + np.arange(len(values)) * bucket_seconds
    return score_series(times, values, bucket_seconds=bucket_seconds).level


@pytest.mark.parametrize("bucket_minutes", [5, 15])
@pytest.mark.parametrize("quiet, loud", [(0.3, 150), (2.0, 300)])
def test_a_series_with_hours_of_history_that_jumps_and_stays_is_an_outage_while_it_stays(
    bucket_minutes, quiet, loud
):
    # 12 hours of a quiet series, then from about 0 to 150-300 reports a bucket for 6 hours:
    # it must leave "ok" and stay out, whatever the bucket size (issue 26: it used to open
    # and close again once the next hourly refit had seen the jump).
    rng = np.random.default_rng(26)
    history = 12 * 60 // bucket_minutes
    jump = 6 * 60 // bucket_minutes
    loud_per_bucket = loud * bucket_minutes / 15
    values = np.r_[rng.poisson(quiet, history), rng.poisson(loud_per_bucket, jump)].astype(float)

    level = run(values, bucket_minutes * 60.0)

    assert (level[:history] == 0).all()
    opened = history + np.flatnonzero(level[history:] > 0)[0]
    assert (opened - history) * bucket_minutes <= 30
    assert (level[opened:] == OUTAGE).all()


@pytest.mark.parametrize("bucket_seconds", [60.0, 300.0, 900.0])
def test_one_bucket_at_fifty_times_expected_is_an_outage_whatever_the_dispersion(bucket_seconds):
    # The widest band the fit can give (every scale at the largest alpha) cannot make a
    # crowd at 50x expected ordinary noise.
    config = EngineConfig()
    scales = config.scale_buckets(bucket_seconds)
    baseline = Baseline(
        profile=np.full((1, 168), 1.0),
        level=np.ones(1),
        dispersion=np.full((1, len(scales)), config.dispersion_max),
        bucket_seconds=bucket_seconds,
        slot_seconds=3600.0,
        floor=0.01,
        scale_buckets=scales,
        fitted_at=START,
    )
    width = max(scales)
    recent = np.ones((1, width))
    recent[0, -1] = 60.0  # 60x the expected 1 report of its bucket

    result = score_window(recent, np.ones((1, width)), baseline, config)

    assert result.level[0] == OUTAGE


def minutes_of(rate: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(rate, n).astype(float)


@pytest.fixture
def busy_history():
    """Two days of a busy flat series (20 reports a minute)."""
    return minutes_of(20.0, 2 * 1440, np.random.default_rng(5))


@pytest.mark.parametrize("length", [3, 8, 12])
def test_a_burst_of_a_few_minutes_under_three_times_normal_opens_nothing(busy_history, length):
    rng = np.random.default_rng(length)
    burst = minutes_of(20.0 * 2.3, length, rng)
    after = minutes_of(20.0, 60, rng)

    level = run(np.r_[busy_history, burst, after], 60.0)

    assert (level[len(busy_history) :] == 0).all()


def test_an_excess_under_three_times_normal_that_holds_opens_after_a_quarter_hour(busy_history):
    rng = np.random.default_rng(1)
    held = minutes_of(20.0 * 2.0, 60, rng)

    level = run(np.r_[busy_history, held], 60.0)[len(busy_history) :]

    opened = int(np.flatnonzero(level > 0)[0])
    assert 14 <= opened <= 20  # sustain_minutes (15) from its first minute, give or take noise


def test_a_partial_outage_at_four_times_normal_opens_within_the_rise(busy_history):
    rng = np.random.default_rng(2)
    partial = minutes_of(20.0 * 4.0, 30, rng)

    level = run(np.r_[busy_history, partial], 60.0)[len(busy_history) :]

    assert int(np.flatnonzero(level > 0)[0]) <= 3


def test_one_network_dripping_under_its_cap_for_hours_opens_nothing():
    # A quiet service (one report an hour) and one network adding 9 reports every quarter
    # hour for four hours (its cap, reports/counting.py): 144 reports in the 4-hour window,
    # but never a crowd of 15 in any quarter hour.
    rng = np.random.default_rng(3)
    history = minutes_of(1 / 60, 2 * 1440, rng)
    drip = minutes_of(1 / 60, 240, rng)
    drip[np.arange(240) % 15 < 9] += 1.0

    level = run(np.r_[history, drip], 60.0)

    assert (level == 0).all()


def test_a_service_watched_minutes_has_no_normal_yet():
    # The first fit runs seconds after the first reports: 40 in 4 minutes are not its normal.
    config = EngineConfig()
    counts = np.full((1, 4), 10.0)

    baseline = fit_baseline(counts, START, 60.0, config)

    expected_15m = baseline.expected(START + 240 + np.arange(15) * 60.0).sum()
    assert expected_15m < config.min_excess_possible
