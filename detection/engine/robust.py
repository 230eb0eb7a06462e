"""NaN-aware, outlier-proof reductions shared by the profile and dispersion fits."""

from __future__ import annotations

import numpy as np


def _nanmean(x: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """``np.nanmean`` (the same sum over the same count; NaN where a slice has no value)
    without its "Mean of empty slice" warning. The hourly fit runs in threads
    (detection.series), and ``warnings.catch_warnings`` is process-wide, not thread-safe: the
    warning one thread silenced escaped from the other."""
    x = np.asarray(x, dtype=float)
    seen = ~np.isnan(x)
    total = np.where(seen, x, 0.0).sum(axis=axis, keepdims=keepdims)
    count = seen.sum(axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nanmedian(x: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """``np.nanmedian`` (same values, NaN where a slice has none) by one sort along ``axis``.

    numpy's nanmedian goes through masked arrays for short axes, several times slower on the
    (series, days, slots) arrays of the hourly job; NaN sorts last, so the middle of the
    valid values is found by their count.
    """
    ordered = np.sort(np.moveaxis(np.asarray(x, dtype=float), axis, -1), axis=-1)
    if ordered.shape[-1] == 0:
        ordered = np.full((*ordered.shape[:-1], 1), np.nan)
    valid = (~np.isnan(ordered)).sum(axis=-1, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum(valid - 1, 0) // 2, axis=-1)
    high = np.take_along_axis(ordered, valid // 2 - (valid == 0), axis=-1)
    with np.errstate(invalid="ignore"):
        median = np.where(valid > 0, (low + high) / 2.0, np.nan)
    median = np.moveaxis(median, -1, axis)
    return median if keepdims else np.squeeze(median, axis=axis)


def _robust_mean(x: np.ndarray, axis: int, n_per_value: float, z: float) -> np.ndarray:
    """Winsorised mean along ``axis``, ignoring NaN.

    Values above median + z * sd are clipped, sd = max(1.4826 * MAD, Poisson sd of a mean
    rate over ``n_per_value`` buckets). Huber-style: past outages cannot inflate the baseline,
    while (unlike a plain median) sparse, skewed counts are not biased towards zero.
    """
    med = _nanmedian(x, axis=axis, keepdims=True)
    mad = _nanmedian(np.abs(x - med), axis=axis, keepdims=True)
    sd = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 0.0) / n_per_value + 1.0 / n_per_value))
    clipped = np.minimum(x, med + z * sd)
    return _nanmean(clipped, axis=axis)


def _cap(x: np.ndarray, z: float, n_per_value: float) -> np.ndarray:
    """Upper winsorisation limit along axis 1 (across days), as in ``_robust_mean``."""
    med = _nanmedian(x, axis=1, keepdims=True)
    mad = _nanmedian(np.abs(x - med), axis=1, keepdims=True)
    sd = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 0.0) / n_per_value + 1.0 / n_per_value))
    return np.where(np.isnan(med), np.inf, med + z * sd)
