"""Slow surges, growth and crashes through ``score_series`` (the live decisions) on plain arrays.

Five-minute buckets keep these quick; the engine's scales, refits and hysteresis are the same
in minutes whatever the bucket.
"""

from __future__ import annotations

import numpy as np

from detection.engine import (
    OUTAGE,
    POSSIBLE,
    EngineConfig,
    fit_baseline,
    incident_mask,
    score_series,
)

CFG = EngineConfig()
BUCKET = 300
PER_DAY = 288
START = 1_735_689_600  # 2025-01-01 00:00 UTC


def normal_rate(days: int, peak: float = 20.0) -> np.ndarray:
    """Reports per 5 minutes: quiet nights, a busy evening, every day."""
    hour = (np.arange(days * PER_DAY) % PER_DAY) / 12.0
    return peak * (0.2 + 0.8 * ((1 + np.cos(2 * np.pi * (hour - 19) / 24)) / 2) ** 1.5)


def noisy(rate: np.ndarray, seed: int) -> np.ndarray:
    """Over-dispersed counts: Poisson with a gamma multiplier per hour (~20 %)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(len(rate)) // 12
    return rng.poisson(rate * rng.gamma(25, 1 / 25, hours[-1] + 1)[hours]).astype(float)


def surge(days: int, day: int, top: float, ramp_hours: float, start_hour: float = 13.0):
    """Multiplier: 1x -> top over ramp_hours from start_hour of `day`, held 3 h, then down."""
    mult = np.ones(days * PER_DAY)
    first = day * PER_DAY + int(start_hour * 12)
    up = int(ramp_hours * 12)
    mult[first : first + up] = 1 + (top - 1) * (1 - np.cos(np.pi * np.arange(up) / up)) / 2
    mult[first + up : first + up + 36] = top
    mult[first + up + 36 : first + up + 60] = np.linspace(top, 1, 24)
    return mult, first


def run(values: np.ndarray):
    return score_series(START + np.arange(len(values)) * BUCKET, values, CFG, BUCKET)


def test_a_4x_ramp_over_three_hours_is_flagged_before_it_doubles_again() -> None:
    days = 22
    mult, first = surge(days, 21, top=4.0, ramp_hours=3.0)
    rate = normal_rate(days) * mult
    levels = run(noisy(rate, 1)).level
    doubled = first + int(np.argmax(mult[first:] >= 2.0))
    quadrupled = first + int(np.argmax(mult[first:] >= 4.0 - 1e-9))
    assert levels[first - PER_DAY : first].max() == 0  # the day before is quiet
    flagged = first + int(np.argmax(levels[first:] >= POSSIBLE))
    assert levels[first:].max() >= POSSIBLE
    assert flagged < quadrupled
    assert flagged - doubled <= 6  # within 30 minutes of reaching 2x


def test_a_surge_on_seven_days_running_is_flagged_on_every_one() -> None:
    days = 21
    rate = normal_rate(days)
    starts = []
    for day in range(14, 21):
        mult, first = surge(days, day, top=5.0, ramp_hours=3.0)
        rate = rate * mult
        starts.append(first)
    levels = run(noisy(rate, 2)).level
    for first in starts:
        assert levels[first : first + 8 * 12].max() >= POSSIBLE, (first - starts[0]) // PER_DAY


def test_a_week_of_ordinary_growth_of_30_percent_is_not_an_outage() -> None:
    days = 28
    growth = np.ones(days * PER_DAY)
    growth[21 * PER_DAY :] = 1.3 ** (np.arange(7 * PER_DAY) / (7 * PER_DAY))
    levels = run(noisy(normal_rate(days) * growth, 3)).level
    assert levels[21 * PER_DAY :].max() == 0


def test_a_surge_in_the_history_does_not_raise_the_baseline_for_the_next_day() -> None:
    days = 15
    mult, _ = surge(days, 14, top=6.0, ramp_hours=2.0)
    clean = noisy(normal_rate(days), 4)
    surged = noisy(normal_rate(days) * mult, 4)
    levels = run(surged).level  # what the detector confirmed: left out of the next fit
    assert levels[14 * PER_DAY :].max() >= POSSIBLE
    tomorrow = START + days * 86_400 + np.arange(PER_DAY) * BUCKET
    expected_clean = fit_baseline(clean, START, BUCKET, CFG).expected(tomorrow)
    exclude = incident_mask(levels[None], CFG, BUCKET)
    expected = fit_baseline(surged, START, BUCKET, CFG, exclude).expected(tomorrow)
    assert np.abs(expected / expected_clean - 1).max() < 0.1


def test_a_crash_during_a_surge_still_alarms() -> None:
    days = 15
    mult, first = surge(days, 14, top=2.0, ramp_hours=2.0)
    rate = normal_rate(days) * mult
    crash = first + 25  # the surge is an open "possible" incident by then
    calm = run(noisy(rate, 5))
    assert calm.level[crash - 2 : crash + 2].tolist() == [POSSIBLE] * 4
    rate[crash : crash + 12] *= 10
    result = run(noisy(rate, 5))
    assert result.level[crash : crash + 2].max() == OUTAGE  # within 10 minutes
    assert result.label[crash : crash + 2].sum() == 1  # the raised severity is an alarm
