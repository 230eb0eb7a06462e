"""The whole baseline fit: slot sums, then the profile stage, then the dispersion stage."""

from __future__ import annotations

import numpy as np

from detection.engine.baseline import Baseline, _prior_baseline
from detection.engine.config import DAY, EngineConfig, to_epoch
from detection.engine.dispersion import fit_dispersion
from detection.engine.profile import fit_profile, slot_sums


def fit_baseline(
    counts: np.ndarray,
    start: object,
    bucket_seconds: float,
    config: EngineConfig | None = None,
    exclude: np.ndarray | None = None,
) -> Baseline:
    """Fit baselines from history.

    ``counts``: (n_series, n_buckets) reports per bucket (or 1-D for one series), oldest first,
    NaN where not observed. ``start``: UTC start of column 0. Only the last ``history_days`` are
    used. Model: rate(bucket) = level(day) * profile(time-of-week slot, interpolated). The
    profile is a winsorised mean of history divided by a trailing 7-day level trend; each
    time-of-week slot shrinks (``shrink_weeks``) towards time-of-day x day-of-week factor,
    time-of-day shrinks (``shrink_days``) towards flat. Day levels are winsorised ratios of
    sums against the profile; the current level is their recency-weighted mean (growth,
    decline). Past outages are clipped everywhere. Dispersions come from the residuals of the
    last ``dispersion_days`` (method of moments, see ``_fit_dispersion``).

    ``exclude``: optional boolean mask shaped like ``counts``, True where the buckets must not
    shape the baseline (stretches under a confirmed incident, see ``incident_mask``); they are
    treated as not observed.
    """
    config = config or EngineConfig()
    counts = np.asarray(counts, dtype=float)
    if exclude is not None:
        counts = np.where(np.asarray(exclude, dtype=bool).reshape(counts.shape), np.nan, counts)
    if counts.ndim == 1:
        counts = counts[None, :]
    n, n_buckets = counts.shape
    start_s = float(to_epoch(start))
    bucket_seconds = float(bucket_seconds)
    slot_seconds = float(max(config.slot_minutes * 60, bucket_seconds))
    if DAY % slot_seconds:
        raise ValueError("slot width must divide a day")
    max_buckets = int(config.history_days * DAY // bucket_seconds)
    if n_buckets > max_buckets:
        start_s += (n_buckets - max_buckets) * bucket_seconds
        counts = counts[:, -max_buckets:]
        n_buckets = max_buckets
    fitted_at = start_s + n_buckets * bucket_seconds
    if n_buckets == 0 or n == 0:
        return _prior_baseline(n, bucket_seconds, slot_seconds, config, fitted_at)
    sums, observed, slots_start = slot_sums(counts, start_s, bucket_seconds, config)
    stage = fit_profile(sums, observed, slots_start, fitted_at, bucket_seconds, config)
    return fit_dispersion(stage, counts, start_s, config)
