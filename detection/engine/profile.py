"""Profile stage of the baseline fit: time-of-week profile, day levels, current level."""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from detection.engine.baseline import Baseline, _prior_baseline
from detection.engine.config import DAY, MONDAY0, WEEK, EngineConfig, to_epoch
from detection.engine.robust import _cap, _nanmean, _nanmedian, _robust_mean


def slot_sums(
    counts: np.ndarray, start: object, bucket_seconds: float, config: EngineConfig | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Reports and observed buckets per time-of-week slot instance: the profile stage's input.

    ``counts``: (n, n_buckets) as for ``fit_baseline``. Returns ``sums`` and ``observed``, both
    (n, n_slots), and the UTC start of slot instance 0 (the slot holding ``start``). The
    hourly job builds the same two arrays from an hourly roll-up instead of minutes.
    """
    config = config or EngineConfig()
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[None, :]
    start_s, bucket_seconds = float(to_epoch(start)), float(bucket_seconds)
    slot_seconds = float(max(config.slot_minutes * 60, bucket_seconds))
    n, n_buckets = counts.shape
    slots_start = math.floor((start_s - MONDAY0) / slot_seconds) * slot_seconds + MONDAY0
    if n_buckets == 0:
        return np.zeros((n, 0)), np.zeros((n, 0)), slots_start
    b_times = start_s + np.arange(n_buckets) * bucket_seconds
    inst = ((b_times - slots_start) // slot_seconds).astype(np.int64)
    firsts = np.flatnonzero(np.r_[True, inst[1:] != inst[:-1]])
    seen = ~np.isnan(counts)
    sums = np.zeros((n, int(inst[-1]) + 1))
    observed = np.zeros_like(sums)
    sums[:, inst[firsts]] = np.add.reduceat(np.where(seen, counts, 0.0), firsts, axis=1)
    observed[:, inst[firsts]] = np.add.reduceat(seen.astype(float), firsts, axis=1)
    return sums, observed, slots_start


class ProfileStage(NamedTuple):
    """What the profile stage hands the dispersion stage."""

    baseline: Baseline  # profile and level fitted, dispersion still the prior
    # (n, n_days) the level the live test would have used on every history day: forecast from
    # the days before it (``_forecast_levels``); 1 where there were none.
    day_level: np.ndarray
    week0: float  # UTC start (a Monday) of day 0 of ``day_level``


def fit_profile(
    sums: np.ndarray,
    observed: np.ndarray,
    slots_start: float,
    fitted_at: float,
    bucket_seconds: float,
    config: EngineConfig | None = None,
) -> ProfileStage:
    """Profile stage of ``fit_baseline``: time-of-week profile, day levels, current level.

    ``sums``/``observed``: (n, n_slots) reports and observed buckets per slot instance from
    ``slots_start`` (a slot boundary) to ``fitted_at`` (see ``slot_sums``). Needs no
    minute data: this is what lets the hourly job read months of history as hourly sums.
    """
    config = config or EngineConfig()
    sums, observed = np.atleast_2d(sums), np.atleast_2d(observed)
    bucket_seconds = float(bucket_seconds)
    slot_seconds = float(max(config.slot_minutes * 60, bucket_seconds))
    n = sums.shape[0]
    base = _prior_baseline(n, bucket_seconds, slot_seconds, config, float(fitted_at))
    spw, spd = round(WEEK / slot_seconds), round(DAY / slot_seconds)
    per_slot = slot_seconds / bucket_seconds  # buckets per slot (rate -> count conversion)

    # 1. Slot instances aligned to Monday 00:00 UTC, padded to whole weeks: mean rate per bucket.
    week0 = MONDAY0 + math.floor((slots_start - MONDAY0) / WEEK) * WEEK
    offset = round((slots_start - week0) / slot_seconds)
    last = int((fitted_at - bucket_seconds - week0) // slot_seconds)
    n_weeks = last // spw + 1
    grid = np.full((n, n_weeks * spw), np.nan)
    width = min(sums.shape[1], n_weeks * spw - offset)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid[:, offset : offset + width] = np.where(
            observed[:, :width] > 0, sums[:, :width] / observed[:, :width], np.nan
        )
    days = grid.reshape(n, n_weeks * 7, spd)

    # 2. Day levels: winsorised ratio of sums against a first time-of-day profile.
    tod0 = _robust_mean(days, 1, per_slot, config.winsor_z)  # (n, spd)
    tod0 = np.where(np.isnan(tod0), _nanmean(tod0, axis=1, keepdims=True), tod0)
    tod0 = np.nan_to_num(tod0)
    cap = _cap(days, config.winsor_z, per_slot)
    seen = ~np.isnan(days)
    num = np.where(seen, np.minimum(days, cap), 0.0).sum(axis=2)
    den = np.where(seen, tod0[:, None, :], 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_level = np.where(den > 0, num / den, np.nan)
    typical = _nanmedian(day_level, axis=1, keepdims=True)
    typical = np.where(np.isfinite(typical) & (typical > 0), typical, 1.0)
    day_level = day_level / typical  # median day = 1, so normalised values keep raw units
    # Sparse days carry little information: shrink towards the typical level (1).
    day_reports = den * typical * per_slot
    w = day_reports / (day_reports + config.level_prior_reports)
    day_level = np.where(np.isnan(day_level), np.nan, w * day_level + (1.0 - w))

    # The trend: trailing 7-day mean of day levels. A whole week holds every weekday once, so
    # the weekly pattern stays in the profile instead of leaking into the levels.
    trend = _trailing_mean(day_level, 7)

    # 3. Level-normalised profile: time-of-week <- time-of-day <- flat, by evidence. Values are
    # winsorised with the across-all-days median and scale of their time of day (7x more data
    # than a time-of-week slot has), so even a slot seen twice cannot absorb a past outage.
    norm = days / np.where(trend > 0, trend, np.nan)[:, :, None]
    norm = np.minimum(norm, _cap(norm, config.winsor_z, per_slot))
    flat = np.nan_to_num(_nanmean(norm.reshape(n, -1), axis=1))
    tod = _nanmean(norm, axis=1)
    n_days = (~np.isnan(norm)).sum(axis=1)
    tod = _shrink(tod, n_days, flat[:, None], config.shrink_days)
    by_week = norm.reshape(n, n_weeks, 7, spd)
    seen_w = ~np.isnan(by_week)
    # Day-of-week factors pool every slot of that weekday (weekend dips are learnt from a
    # week or two); each time-of-week slot then shrinks to tod x its weekday factor.
    dow_num = np.where(seen_w, by_week, 0.0).sum(axis=(1, 3))
    dow_den = np.where(seen_w, tod[:, None, None, :], 0.0).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        dow_factor = np.where(dow_den > 0, dow_num / dow_den, 1.0)  # (n, 7)
    dow_reports = dow_den * per_slot  # evidence in reports: sparse series stay near 1
    dow_factor = _shrink(dow_factor, dow_reports, 1.0, config.level_prior_reports)
    tow = _nanmean(by_week, axis=1)  # (n, 7, spd)
    prior = tod[:, None, :] * dow_factor[:, :, None]
    tow = _shrink(tow, seen_w.sum(axis=1), prior, config.shrink_weeks).reshape(n, spw)
    profile = np.maximum(tow, 0.0)

    # 4. Day levels again, now against the time-of-week profile (growth/decline and unusual
    # days, without the weekly pattern), and the current level: their recency-weighted mean.
    week_profile = np.tile(profile.reshape(n, 7, spd), (1, n_weeks, 1))
    den = np.where(seen, week_profile, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_level = np.where(den > 0, num / den, np.nan)
    day_reports = den * per_slot
    w = day_reports / (day_reports + config.level_prior_reports)
    day_level = np.where(np.isnan(day_level), np.nan, w * day_level + (1.0 - w))
    n_days_total = n_weeks * 7
    last_day = int((fitted_at - 1e-9 - week0) // DAY)
    age = last_day - np.arange(n_days_total)
    recent = (age >= 0) & (age < config.level_days)
    dw = np.where(recent, 0.5 ** (age / config.level_halflife_days), 0.0)[None, :] * w
    dw = np.where(np.isnan(day_level), 0.0, dw)
    wsum = dw.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(wsum > 0, np.nansum(dw * day_level, axis=1) / wsum, 1.0)
    level = np.where(np.isfinite(level) & (level > 0), level, 1.0)

    # Little observed time: the mean rate shrinks towards the floor (``prior_minutes``).
    # Its estimate reports / observed becomes (reports + floor * k) / (observed + k); the
    # profile keeps its shape. Weeks of history move by a few parts in ten thousand.
    reports, seen_buckets = sums.sum(axis=1), observed.sum(axis=1)
    k = config.prior_minutes * 60.0 / bucket_seconds
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = seen_buckets * (reports + base.floor * k) / (reports * (seen_buckets + k))
    shrink = np.where((reports > 0) & np.isfinite(shrink), shrink, 1.0)
    profile = profile * shrink[:, None]
    base = dataclasses.replace(base, profile=profile, level=level)
    # The dispersion stage measures residuals against the level the live test would have used
    # on each day (from the days before it), not the day's own level: the day-to-day error of
    # the level is part of what a 1- to 4-hour window sees, and leaving it out makes the long
    # scales far too sure.
    return ProfileStage(base, _forecast_levels(day_level, w, config), week0)


def _forecast_levels(day_level: np.ndarray, w: np.ndarray, config: EngineConfig) -> np.ndarray:
    """Per day, the current level as the fit would have computed it the day before: the
    recency-weighted mean of the previous ``level_days`` day levels (1 where none)."""
    n, n_days = day_level.shape
    num, den = np.zeros((n, n_days)), np.zeros((n, n_days))
    seen = ~np.isnan(day_level)
    for lag in range(1, int(config.level_days) + 1):  # a week of lags, vectorised over series
        weight = 0.5 ** ((lag - 1) / config.level_halflife_days) * np.where(seen, w, 0.0)
        num[:, lag:] += (weight * np.where(seen, day_level, 0.0))[:, :-lag]
        den[:, lag:] += weight[:, :-lag]
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(den > 0, num / den, 1.0)
    return np.where(np.isfinite(level) & (level > 0), level, 1.0)


def _trailing_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Mean of the last ``width`` non-NaN-aware values along axis 1 (NaN where none)."""
    ok = ~np.isnan(x)
    total = np.cumsum(np.where(ok, x, 0.0), axis=1)
    count = np.cumsum(ok, axis=1).astype(float)
    total[:, width:] -= total[:, :-width].copy()
    count[:, width:] -= count[:, :-width].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _shrink(est: np.ndarray, n_obs: np.ndarray, prior: np.ndarray, k: float) -> np.ndarray:
    """Empirical-Bayes style pooling: (n * est + k * prior) / (n + k); missing -> prior."""
    est = np.where(np.isnan(est), 0.0, est)
    return (n_obs * est + k * prior) / (n_obs + k)
