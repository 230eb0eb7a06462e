"""The hourly job's staged fit (hourly slot sums + recent minutes) is the single-call fit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from detection.engine import (
    MONDAY0,
    WEEK,
    EngineConfig,
    fit_baseline,
    fit_dispersion,
    fit_profile,
    slot_sums,
)

CFG = EngineConfig()
# A Wednesday 13:17 UTC: the history starts and ends mid-hour, as the hourly job's does.
START = MONDAY0 + 2900 * WEEK + 2 * 86_400 + 13 * 3600 + 17 * 60


def bursty_history(n: int, minutes: int, seed: int) -> np.ndarray:
    """Over-dispersed counts with a daily rhythm, a silent series and an unobserved start."""
    rng = np.random.default_rng(seed)
    t = np.arange(minutes)
    rate = rng.gamma(0.5, 2.0, (n, 1)) * (1.2 + np.sin(2 * np.pi * t / 1440))
    counts = rng.poisson(rng.gamma(2.0, rate / 2.0)).astype(float)
    counts[0, 4000:4060] += 300  # a past outage
    counts[1] = 0.0
    counts[2, :5000] = np.nan  # this series' history starts late
    return counts


def hourly(counts: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray, float]:
    """What an hourly roll-up gives: reports and observed minutes per clock hour."""
    pad = int((start - MONDAY0) % 3600 // 60)
    padded = np.concatenate([np.full((counts.shape[0], pad), np.nan), counts], axis=1)
    tail = -padded.shape[1] % 60
    padded = np.concatenate([padded, np.full((counts.shape[0], tail), np.nan)], axis=1)
    hours = padded.reshape(counts.shape[0], -1, 60)
    return np.nansum(hours, axis=2), (~np.isnan(hours)).sum(axis=2).astype(float), start - pad * 60


@pytest.mark.parametrize("days", [3, 20, 60])
def test_staged_fit_from_hourly_sums_equals_the_single_call_fit(days: int) -> None:
    counts = bursty_history(6, days * 1440 + 43, seed=days)
    single = fit_baseline(counts, START, 60, CFG)

    sums, observed, slots_start = hourly(counts, START)
    fitted_at = START + counts.shape[1] * 60
    stage = fit_profile(sums, observed, slots_start, fitted_at, 60, CFG)
    recent = int(CFG.dispersion_days * 1440)  # only the minutes the dispersion reads
    staged = fit_dispersion(
        stage, counts[:, -recent:], fitted_at - counts[:, -recent:].shape[1] * 60, CFG
    )

    np.testing.assert_allclose(staged.profile, single.profile, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(staged.level, single.level, rtol=1e-12)
    np.testing.assert_allclose(staged.dispersion, single.dispersion, rtol=1e-12)
    assert staged.fitted_at == single.fitted_at


def test_slot_sums_of_minutes_are_the_hourly_sums() -> None:
    counts = bursty_history(3, 3 * 1440 + 7, seed=1)
    sums, observed, slots_start = slot_sums(counts, START, 60, CFG)
    expected_sums, expected_observed, expected_start = hourly(counts, START)
    assert slots_start == expected_start
    np.testing.assert_array_equal(sums, expected_sums)
    np.testing.assert_array_equal(observed, expected_observed)


def sparse_cube(seed: int) -> np.ndarray:
    """(series, days, slots) rates with 40% unobserved and one series never observed."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.gamma(0.5, 2.0, (6, 9, 24)), 1)
    x[rng.random(x.shape) < 0.4] = np.nan
    x[0, :, :] = np.nan  # slices with nothing observed: NaN
    return x


def numpys(reduction, x: np.ndarray, axis: int) -> np.ndarray:
    """numpy's own nan-reduction, its all-NaN-slice warnings silenced (NaN is the answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return reduction(x, axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_the_fit_median_is_numpys_nanmedian_value_for_value(axis: int) -> None:
    from detection.engine import _nanmedian

    x = sparse_cube(axis)

    expected = numpys(np.nanmedian, x, axis)
    np.testing.assert_array_equal(_nanmedian(x, axis, keepdims=True), expected)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_the_fit_mean_is_numpys_nanmean_and_never_warns(axis: int) -> None:
    # The hourly fit runs in two threads; a warning silenced with warnings.catch_warnings in
    # one escaped from the other ("Mean of empty slice", seen in CI's PostgreSQL pass).
    from detection.engine import _nanmean

    x = sparse_cube(axis)

    expected = numpys(np.nanmean, x, axis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _nanmean(x, axis, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))


def reference_trimmed_alpha(x, mu, valid, config) -> np.ndarray:
    """The outlier-proof one-bucket alpha written plainly: robust start, trimming passes."""
    from detection.engine import _MEDIAN_CHI2_1

    m = x.shape[1]
    step = max(1, m // config.dispersion_robust_windows)
    xs = x[:, ::step]
    ms = np.where(valid[:, ::step] & (mu[:, ::step] > 0), mu[:, ::step], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        alpha = np.nanmedian(((xs - ms) ** 2 / _MEDIAN_CHI2_1 - ms) / ms**2, axis=1)
    alpha = np.clip(
        np.where(np.isnan(alpha), config.dispersion_prior, alpha),
        config.dispersion_min,
        config.dispersion_max,
    )
    for z in config.dispersion_trim_z:
        over = np.maximum(x - mu - 3.0, 0.0) ** 2
        alpha = reference_moment_alpha(
            x, mu, valid & (over <= z**2 * (mu + alpha[:, None] * mu**2)), config
        )
    return alpha


def reference_moment_alpha(x, mu, ok, config) -> np.ndarray:
    """Method of moments over the windows where ``ok``, with the prior, clipped."""
    num = np.where(ok, (x - mu) ** 2 - x, 0.0).sum(axis=1)
    den = np.where(ok, mu**2, 0.0).sum(axis=1)
    kw = config.dispersion_prior_weight
    return np.clip(
        (num + config.dispersion_prior * kw) / (den + kw),
        config.dispersion_min,
        config.dispersion_max,
    )


def reference_dispersion(counts, b_times, week0, day_level, base, config) -> np.ndarray:
    """The dispersion fit written plainly (dense arrays, every window, a loop over the
    outage stretches): what the fast ``_fit_dispersion`` must reproduce."""
    from detection.engine import _OUTAGE_SHARE, DAY

    n = counts.shape[0]
    keep = min(counts.shape[1], int(config.dispersion_days * DAY / base.bucket_seconds))
    x_all, t = counts[:, -keep:], b_times[-keep:]
    day_idx = ((t - week0) // DAY).astype(np.int64)
    mu_all = base._expected_with_level(t, day_level[:, day_idx])
    mu_all = np.where(np.isnan(x_all), np.nan, mu_all)
    # Unrecorded outages: windows of outage_minutes mostly beyond the one-bucket cut.
    valid = ~np.isnan(x_all)
    x0, mu0 = np.where(valid, x_all, 0.0), np.where(valid, mu_all, 0.0)
    alpha1 = reference_trimmed_alpha(x0, mu0, valid, config)
    over = x0 - mu0 - 3.0
    sd2 = mu0 + alpha1[:, None] * mu0**2
    beyond = valid & (over > 0) & (over**2 > config.dispersion_trim_z[-1] ** 2 * sd2)
    width = config.buckets(config.outage_minutes, base.bucket_seconds)
    count = np.lib.stride_tricks.sliding_window_view(beyond, width, axis=1).sum(axis=2)
    outage = np.zeros_like(beyond)
    dense = count >= math.ceil(_OUTAGE_SHARE * width)
    for row, first in zip(*np.nonzero(dense), strict=True):
        outage[row, first : first + width] = True
    x_all = np.where(outage, np.nan, x_all)
    mu_all = np.where(outage, np.nan, mu_all)
    out = np.empty((n, len(base.scale_buckets)))
    for j, k in enumerate(base.scale_buckets):
        m = min(keep // k, config.dispersion_max_windows)
        if m == 0:
            out[:, j] = config.dispersion_prior
            continue
        x = x_all[:, keep - m * k :].reshape(n, m, k).sum(axis=2)
        mu = mu_all[:, keep - m * k :].reshape(n, m, k).sum(axis=2)
        out[:, j] = reference_moment_alpha(x, mu, ~(np.isnan(x) | np.isnan(mu)), config)
    return out


@pytest.mark.parametrize(
    ("bucket", "offset"),
    [(60, 0), (60, 17 * 60), (300, 180), (300, 150)],  # on the bucket grid, and off it
)
@pytest.mark.parametrize("gaps", [True, False])
def test_the_fast_dispersion_fit_is_the_plain_one(bucket: int, offset: int, gaps: bool) -> None:
    from detection.engine import _fit_dispersion

    minutes = 16 * 1440 * 60 // bucket
    counts = bursty_history(6, minutes, seed=bucket + offset)
    counts[3, 2000:2300] = np.nan  # a stretch left out (an incident)
    if not gaps:  # every minute observed (the fit takes a shorter path)
        counts = np.nan_to_num(counts)
    start = START + offset
    sums, observed, slots_start = slot_sums(counts, start, bucket, CFG)
    fitted_at = start + minutes * bucket
    stage = fit_profile(sums, observed, slots_start, fitted_at, bucket, CFG)
    b_times = start + np.arange(minutes) * float(bucket)
    day_level = np.where(np.isnan(stage.day_level), 1.0, stage.day_level)

    fast = _fit_dispersion(counts, b_times, stage.week0, day_level, stage.baseline, CFG)
    plain = reference_dispersion(counts, b_times, stage.week0, day_level, stage.baseline, CFG)

    np.testing.assert_allclose(fast, plain, rtol=1e-9)
    assert (plain[0] != CFG.dispersion_prior).all()  # fitted, not the prior


def test_expected_counts_of_a_few_hours_are_the_plainly_interpolated_profile() -> None:
    from detection.engine import Baseline

    rng = np.random.default_rng(5)
    baseline = Baseline(
        profile=rng.gamma(0.5, 2.0, (40, 168)),
        level=rng.uniform(0.5, 2.0, 40),
        dispersion=np.full((40, 1), 0.3),
        bucket_seconds=60.0,
        slot_seconds=3600.0,
        floor=0.01,
        scale_buckets=(1,),
        fitted_at=START,
    )
    t = START + 60.0 * np.arange(-10, 4 * 60)  # the live cycle's four hours, five slots
    pos = ((t + 30.0 - MONDAY0) % WEEK) / 3600.0 - 0.5
    frac = pos - np.floor(pos)
    i0 = np.floor(pos).astype(int) % 168
    shape = baseline.profile[:, i0] * (1 - frac) + baseline.profile[:, (i0 + 1) % 168] * frac

    expected = np.maximum(baseline.level[:, None] * shape, baseline.floor)
    np.testing.assert_array_equal(baseline.expected(t), expected)
