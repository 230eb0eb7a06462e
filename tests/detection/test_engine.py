"""Detection engine behaviour on plain arrays (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from detection.engine import (
    OUTAGE,
    POSSIBLE,
    Baseline,
    EngineConfig,
    alarms,
    fit_baseline,
    init_state,
    live_cycle,
    score_series,
    score_window,
    step_state,
)

CFG = EngineConfig()
MINUTE = 60
START = 1_700_000_000 - 1_700_000_000 % 86_400  # a UTC midnight
DAY_MINUTES = 1440


def daily_rate(base: float, minutes: np.ndarray) -> np.ndarray:
    """A realistic daily cycle: quiet nights, busy evenings (rate per minute)."""
    phase = 2 * np.pi * (minutes % DAY_MINUTES) / DAY_MINUTES
    return base * (1.0 + 0.6 * np.sin(phase - 2.0))


def history(rate: np.ndarray, days: int, seed: int, n: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    minutes = np.arange(days * DAY_MINUTES)
    return rng.poisson(np.broadcast_to(rate(minutes), (n, len(minutes)))).astype(float)


def run_live(
    baseline: Baseline, counts: np.ndarray, first_minute: int, history_tail: np.ndarray
) -> np.ndarray:
    """Feed ``counts`` (n, m) minute by minute after the history; return confirmed levels."""
    window = max(CFG.scale_buckets(MINUTE))
    tail = history_tail[:, -(window - 1) :]
    # A tail shorter than the longest window is silent before it: every window ends at the
    # minute being fed, never after it.
    tail = np.pad(tail, ((0, 0), (window - 1 - tail.shape[1], 0)))
    data = np.concatenate([tail, counts], axis=1)
    state = init_state(counts.shape[0])
    levels = []
    for i in range(counts.shape[1]):
        recent = data[:, i : i + window]
        t0 = START + (first_minute + i - window + 1) * MINUTE
        _, state, level = live_cycle(recent, t0, baseline, state, CFG)
        levels.append(level)
    return np.stack(levels, axis=1)


def test_constant_series_never_alarms() -> None:
    hist = np.full((3, 7 * DAY_MINUTES), 20.0)
    hist[1] = 0.0
    hist[2] = 500.0
    baseline = fit_baseline(hist, START, MINUTE, CFG)
    after = np.repeat(hist[:, -1:], 6 * 60, axis=1)
    levels = run_live(baseline, after, 7 * DAY_MINUTES, hist)
    assert levels.max() == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_10x_spike_always_alarms(seed: int) -> None:
    days = 7
    hist = history(lambda m: daily_rate(3.0, m), days, seed, n=4)
    baseline = fit_baseline(hist, START, MINUTE, CFG)
    rng = np.random.default_rng(100 + seed)
    offset = int(rng.integers(0, DAY_MINUTES - 30))  # any time of day
    minutes = days * DAY_MINUTES + offset + np.arange(30)
    rate = daily_rate(3.0, minutes)
    rate[10:] *= 10.0
    counts = rng.poisson(np.broadcast_to(rate, (4, 30))).astype(float)
    levels = run_live(baseline, counts, days * DAY_MINUTES + offset, hist)
    assert levels[:, :10].max() == 0
    assert (levels[:, 10:15].max(axis=1) == OUTAGE).all()  # within 5 minutes


def test_a_slow_doubling_over_an_hour_is_caught() -> None:
    days = 7
    hist = history(lambda m: np.full(m.shape, 10.0), days, 1, n=4)
    baseline = fit_baseline(hist, START, MINUTE, CFG)
    rng = np.random.default_rng(7)
    rate = 10.0 * (1.0 + np.arange(60) / 60.0)  # 10/min -> 20/min in an hour
    counts = rng.poisson(np.broadcast_to(rate, (4, 60))).astype(float)
    levels = run_live(baseline, counts, days * DAY_MINUTES, hist)
    assert (levels.max(axis=1) >= POSSIBLE).all()
    assert levels[:, :10].max() == 0  # and not at its harmless beginning


def test_a_spike_inside_the_history_does_not_raise_the_baseline() -> None:
    days = 14
    clean = history(lambda m: daily_rate(5.0, m), days, 3)
    spiked = clean.copy()
    for day in (3, 9):  # two 3-hour outages at 18:00 UTC, 20x the normal volume
        spiked[0, day * DAY_MINUTES + 18 * 60 : day * DAY_MINUTES + 21 * 60] *= 20
    times = START + days * 86_400 + np.arange(7 * DAY_MINUTES) * MINUTE  # a week ahead
    exp_clean = fit_baseline(clean, START, MINUTE, CFG).expected(times)
    exp_spiked = fit_baseline(spiked, START, MINUTE, CFG).expected(times)
    assert np.abs(exp_spiked / exp_clean - 1).max() < 0.15  # 20x spikes move it < 15%
    disp_clean = fit_baseline(clean, START, MINUTE, CFG).dispersion
    disp_spiked = fit_baseline(spiked, START, MINUTE, CFG).dispersion
    assert (disp_spiked < 2 * disp_clean + 0.01).all()


def test_short_bursts_that_recur_widen_the_band_where_outages_do_not() -> None:
    # Tweet-like volume: a 3-minute burst of 10x every day, shorter than any outage (20
    # minutes) and recorded by nobody: that is the series' noise, so its 1-minute band widens.
    # Two 3-hour outages in the same history leave it as it was (the test above).
    days = 14
    quiet = history(lambda m: np.full(m.shape, 5.0), days, 4)
    bursty = quiet.copy()
    for day in range(days):
        at = day * DAY_MINUTES + 600 + 37 * day
        bursty[0, at : at + 3] *= 10

    alpha_quiet = fit_baseline(quiet, START, MINUTE, CFG).dispersion[0]
    alpha_bursty = fit_baseline(bursty, START, MINUTE, CFG).dispersion[0]

    assert alpha_bursty[0] > 20 * alpha_quiet[0]


def test_a_partial_outage_on_a_quiet_series_is_flagged_within_ten_minutes() -> None:
    # The partial outage at its quietest: 3x a service's one report a minute, for
    # half an hour, in 24 series. Where its first 10 minutes bring 20 extra reports, it is
    # flagged within those 10 minutes: a 10-minute test window sees them whole, where a
    # 15-minute one still holds 5 ordinary minutes. At the bare minimum crowd (15) the
    # evidence is at the edge of p = 2e-4 on such a series: flagged, within 20 minutes.
    days, n = 14, 24
    hist = history(lambda m: np.full(m.shape, 1.0), days, 11, n=n)
    baseline = fit_baseline(hist, START, MINUTE, CFG)
    rng = np.random.default_rng(12)
    rate = np.r_[np.full(10, 1.0), np.full(30, 3.0)]
    counts = rng.poisson(np.broadcast_to(rate, (n, 40))).astype(float)
    levels = run_live(baseline, counts, days * DAY_MINUTES, hist)

    extra = counts[:, 10:20].sum(axis=1) - 10.0
    flagged = levels[:, 10:] >= POSSIBLE
    assert levels[:, :10].max() == 0
    assert (extra >= 20).sum() >= n // 2
    assert flagged[extra >= 20, :11].any(axis=1).all()  # by the 10th minute after the start
    assert flagged[extra >= 15, :21].any(axis=1).all()


@pytest.mark.parametrize("n_history", [0, 3 * DAY_MINUTES])
def test_a_brand_new_service_with_a_burst_of_50_reporters_alarms(n_history: int) -> None:
    hist = np.zeros((1, n_history))  # no history at all, or a silent one
    baseline = fit_baseline(hist, START, MINUTE, CFG)
    burst = np.array([[0, 0, 0, 20, 15, 15, 5, 3, 0, 0]], dtype=float)  # 50+ reporters
    levels = run_live(baseline, burst, n_history, np.zeros((1, 15)))
    assert levels.max() == OUTAGE


def test_3_reports_against_an_expected_0_2_does_not_alarm() -> None:
    expected = np.full((3, 15), 0.2 / 15)  # 0.2 reports per 15 minutes
    recent = np.zeros((3, 15))
    recent[0, -1] = 3  # all in the last minute
    recent[1, -5:-2] = 1  # spread over 5 minutes
    recent[2, [-15, -8, -1]] = 1  # over 15 minutes
    baseline = fit_baseline(np.zeros((3, 0)), START, MINUTE, CFG)
    result = score_window(recent, expected, baseline, CFG)
    assert (result.level == 0).all()
    assert (result.threshold_15m >= 10).all()
    np.testing.assert_allclose(result.expected_15m, 0.2)


def test_hysteresis_one_noisy_bucket_neither_opens_nor_closes() -> None:
    def run(raw: list[int]) -> list[int]:
        state, out = init_state(1), []
        for r in raw:
            state, level = step_state(state, np.array([r]), CFG, MINUTE)
            out.append(int(level[0]))
        return out

    assert max(run([0, 0, 2, 0, 0, 0, 2, 0, 0])) == 0  # isolated noisy buckets: never opens
    opened = run([2, 2, 2, 2, 0, 2, 2, 2] + [2] * 10)
    assert opened[1:] == [2] * (len(opened) - 1)  # opens after 2 minutes, one quiet minute ...
    closing = run([2, 2] + [0] * 14 + [2] + [0] * 15)
    assert closing[2 : 2 + 14] == [2] * 14  # ... or 14 quiet minutes do not close it
    assert closing[-1] == 0  # 15 quiet minutes in a row close it
    assert run([2, 2] + [1] * 15)[-1] == POSSIBLE  # outage subsiding to possible


def run_alarms(raw: list[int]) -> tuple[list[int], list[bool]]:
    """Confirmed levels and alarms of the state machine fed one raw level per minute."""
    state, levels, alarmed = init_state(1), [], []
    for r in raw:
        before = state
        state, level = step_state(state, np.array([r]), CFG, MINUTE)
        levels.append(int(level[0]))
        alarmed.append(bool(alarms(before, level)[0]))
    return levels, alarmed


def test_an_incident_reopening_within_twelve_hours_is_the_same_outage() -> None:
    gap = int(CFG.reopen_minutes) - 60  # closed, then back before the quiet period ends
    levels, alarmed = run_alarms([1] * 5 + [0] * gap + [1] * 5)
    assert levels[-1] == POSSIBLE and levels[30] == 0  # it closed and reopened...
    assert sum(alarmed) == 1  # ...with one alarm, at the first opening


def test_an_incident_after_a_quiet_half_day_is_a_new_alarm() -> None:
    gap = int(CFG.reopen_minutes) + 30
    _, alarmed = run_alarms([1] * 5 + [0] * gap + [1] * 5)
    assert sum(alarmed) == 2


def test_a_reopening_at_a_higher_severity_alarms() -> None:
    levels, alarmed = run_alarms([1] * 5 + [0] * 120 + [2] * 5)
    assert levels[-1] == OUTAGE
    assert sum(alarmed) == 2  # the opening, and the outage never reached before


def test_an_outage_confirmed_a_minute_after_possible_opens_once_as_an_outage() -> None:
    levels, alarmed = run_alarms([0, 1, 2, 2, 2, 2])
    assert levels == [0, 0, 0, 2, 2, 2]  # waits the minute that decides the severity...
    assert sum(alarmed) == 1  # ...and notifies once, not "possible" then "outage"
    levels, alarmed = run_alarms([0, 1, 2, 1, 1, 1])
    assert levels == [0, 0, 0, 1, 1, 1] and sum(alarmed) == 1  # the outage did not hold
    levels, alarmed = run_alarms([1, 1, 1, 2, 2, 2])
    assert levels == [0, 1, 1, 1, 2, 2] and sum(alarmed) == 2  # a later escalation alarms


def test_half_again_the_usual_volume_is_not_an_outage_whatever_its_p_value() -> None:
    # 1.3x of a large steady volume is overwhelmingly significant for a Poisson baseline, but
    # a busy day is not an outage: the level needs a multiple of normal (min_ratio_possible).
    baseline = fit_baseline(np.full((1, 7 * DAY_MINUTES), 1000.0), START, MINUTE, CFG)
    expected = np.full((1, 240), 1000.0)
    busy = score_window(np.full((1, 240), 1300.0), expected, baseline, CFG)
    assert busy.level[0] == 0
    doubled = score_window(np.full((1, 240), 2100.0), expected, baseline, CFG)
    assert doubled.level[0] == OUTAGE


def test_score_is_in_0_1() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    recent = rng.poisson(rng.gamma(0.5, 50.0, size=(n, 1)), size=(n, 15)).astype(float)
    recent[:10] *= 1000
    recent[10:20] = np.nan
    expected = rng.gamma(0.5, 5.0, size=(n, 15))
    expected[20:30] = 0.0
    baseline = fit_baseline(np.zeros((n, 0)), START, MINUTE, CFG)
    result = score_window(recent, expected, baseline, CFG)
    assert np.isfinite(result.score).all()
    assert ((result.score >= 0) & (result.score <= 1)).all()
    assert result.score.max() > 0.9 and result.score.min() == 0.0
    assert (result.threshold_15m > result.expected_15m).all()


def test_score_series_has_no_look_ahead() -> None:
    rng = np.random.default_rng(5)
    n = 4 * 288  # four days of 5-minute buckets
    minutes = np.arange(n) * 5
    values = rng.poisson(daily_rate(40.0, minutes)).astype(float)
    values[700:720] *= 6
    timestamps = START + minutes * MINUTE
    full_scores, full_labels, full_levels = score_series(timestamps, values, CFG)
    for cut in (100, 701, 705, 1000):
        scores, labels, levels = score_series(timestamps[:cut], values[:cut], CFG)
        np.testing.assert_array_equal(scores, full_scores[:cut])
        np.testing.assert_array_equal(labels, full_labels[:cut])
        np.testing.assert_array_equal(levels, full_levels[:cut])
    assert full_labels[700:720].any() and full_scores[700:705].max() > 0.9


def test_a_weekly_pattern_is_learnt() -> None:
    monday = 1_704_067_200  # 2024-01-01 00:00 UTC, a Monday
    buckets = np.arange(3 * 7 * 288)  # three weeks of 5-minute buckets
    weekend = (buckets // 288) % 7 >= 5
    rate = np.where(weekend, 6.0, 30.0)
    counts = np.random.default_rng(2).poisson(rate)[None].astype(float)
    baseline = fit_baseline(counts, monday, 300, CFG)
    start = monday + 3 * 7 * 86_400
    week = baseline.expected(start + np.arange(7) * 86_400 + 12 * 3600)[0]  # noon, Mon..Sun
    np.testing.assert_allclose(week, [30, 30, 30, 30, 30, 6, 6], rtol=0.15)


def test_a_long_window_that_still_holds_a_closed_incident_does_not_reopen_it() -> None:
    # Three weeks of exactly one report a minute, a 10x crash for 30 minutes, then two hours
    # later a mild bump: alone it is no crowd (10 extra reports), but the 4-hour window still
    # holds the crash's 270 extra reports. The fit never sees a window
    # over an incident, so such a window must not count once the incident has closed.
    days = 21
    counts = np.ones(days * DAY_MINUTES + 600)
    crash = days * DAY_MINUTES + 60
    counts[crash : crash + 30] = 10.0
    bump = crash + 30 + 120
    counts[bump : bump + 10] = 2.0  # 10 minutes bring one report more each
    later = bump + 300  # a real crash five hours later
    counts[later : later + 20] = 10.0
    times = START + MINUTE * np.arange(len(counts))

    level = score_series(times, counts, CFG, bucket_seconds=MINUTE).level

    assert level[crash : crash + 30].max() > 0  # the crash is an incident...
    closed = crash + 30 + int(np.argmax(level[crash + 30 :] == 0))
    assert closed < bump  # ...that has closed before the bump
    assert level[closed:later].max() == 0  # the bump does not reopen it
    assert level[later : later + 5].max() > 0  # a new crash still opens one at once


def test_a_single_five_minute_burst_that_falls_back_opens_no_incident() -> None:
    # Four days of 5-minute counts around 40, then a burst of 400 in one bucket. Where the
    # next bucket is ordinary again the burst has fallen back: the 10- and 30-minute windows
    # still hold it, but one bucket is not an outage (the rise must not count it twice).
    # Where it holds for a second bucket, an incident opens then.
    rng = np.random.default_rng(8)
    n = 4 * 288 + 24
    minutes = np.arange(n) * 5
    values = rng.poisson(daily_rate(40.0, minutes)).astype(float)
    burst = 4 * 288
    values[burst] = 400.0
    values[burst + 1 :] = np.round(daily_rate(40.0, minutes[burst + 1 :]))
    timestamps = START + minutes * MINUTE
    assert score_series(timestamps, values, CFG).label[burst:].max() == 0

    values[burst + 1] = 400.0
    held = score_series(timestamps, values, CFG)
    assert held.label[burst + 1] == 1
