"""Outage detection engine: robust time-of-week baselines, multi-scale spike tests, hysteresis.

Pure numpy/scipy, no Django. Every function is vectorised over series: arrays are shaped
``(n_series, ...)`` and nothing loops per series. All times are UTC epoch seconds (floats or
ints; timezone-aware datetimes, naive datetimes taken as UTC and ``numpy.datetime64`` are also
accepted wherever a time is expected). A *bucket* is a fixed-width count interval
(``bucket_seconds``: 60 live, 300 for NAB CSVs); its timestamp is its start.

Public API
----------
``EngineConfig``
    Frozen dataclass, every tunable. One global configuration.
``fit_baseline(counts, start, bucket_seconds, config, exclude=None) -> Baseline``
    ``counts``: (n_series, n_buckets) report counts, oldest first, NaN = not observed; column 0
    starts at ``start``. Learns, per series, a robust time-of-week profile (expected reports per
    bucket), the current level and negative-binomial dispersions per time scale. Accepts empty,
    all-zero and very short histories (priors take over). This is the hourly job.
``slot_sums`` -> ``fit_profile`` -> ``fit_dispersion``
    ``fit_baseline`` in stages, same arithmetic: the profile stage takes reports and observed
    buckets per time-of-week slot instance (an hourly roll-up), the dispersion stage only the
    last ``dispersion_days`` of buckets. The hourly job at scale (detection.series) uses these.
``Baseline.expected(times) -> (n_series, len(times))``
    Expected reports per bucket for buckets starting at ``times``.
``Baseline.take(index) -> Baseline``
    The baselines of a subset (or repetition) of the series.
``score_window(recent, expected, baseline, config) -> ScoreResult``
    ``recent``/``expected``: (n_series, k) counts and expected counts of the latest k buckets,
    most recent last (k >= the 15-minute window in buckets; NaN = missing). Returns per series
    ``score`` in [0, 1], raw ``level`` (0 ok, 1 possible, 2 outage), ``threshold_15m`` (reports
    per 15 min that would be significant now, for the graph band), ``expected_15m`` (baseline
    reports per 15 min now), ``surprise`` (-log10 p-value, Bonferroni-adjusted, best scale)
    and ``level_by_scale`` (the raw level from the shortest scales up to each one).
``clear_of_closed(level_by_scale, scale_buckets, state, config, bucket_seconds) -> (n,)``
    The raw level to step the state machine with: after an incident has closed, only the
    windows that hold none of its reports count (the fit never sees windows over one).
``advance(state, level_by_scale, scale_buckets, config, bucket_seconds) -> (state, level)``
    ``clear_of_closed`` then ``step_state``: one bucket of the live decision, as the live
    cycle, the minute scan of ``detection.services`` and ``score_series`` all take it.
``significance_threshold(expected, baseline, window_buckets, config) -> (n,)``
    Report count of a window that would be significant (level possible) given its expected
    sum: the upper edge of the graph band (``threshold_15m`` uses it with 15 minutes).
``init_state(n_series) -> HysteresisState`` / ``step_state(state, raw_level, config,
bucket_seconds) -> (HysteresisState, level)``
    One minute (bucket) of the hysteresis state machine; persist the seven int arrays between
    cycles. ``alarms(state_before, level)``: where that step alarms (a new incident or a
    higher severity; a reopening within ``reopen_minutes`` of a close is the same outage).
``live_cycle(recent, recent_start, baseline, state, config) -> (ScoreResult, state, level)``
    Convenience: expected + score_window + advance for one live cycle.
``score_series(timestamps, values, config, bucket_seconds=None) -> SeriesScores``
    Offline streaming runner for one series (NAB CSVs, ``manage.py score_series``): no
    look-ahead, hourly refits like the live job, the same functions and decisions as live:
    ``(anomaly_score, label, level)``, label = an incident opens or its severity rises.
``incident_mask(levels, config, bucket_seconds) -> bool array``
    What the next fit leaves out: the first day of every confirmed incident.
"""

# The engine's rooms, one concern each; every name stays importable from here.
from detection.engine.baseline import Baseline, _prior_baseline
from detection.engine.config import DAY, MONDAY0, OK, OUTAGE, POSSIBLE, WEEK, EngineConfig, to_epoch
from detection.engine.dispersion import (
    _MEDIAN_CHI2_1,
    _OUTAGE_SHARE,
    _alpha_with_prior,
    _dense_stretches,
    _expected_by_day,
    _fit_dispersion,
    _moment_alpha,
    _robust_alpha,
    _trimmed_alpha,
    _TrimmedFit,
    _unrecorded_outages,
    fit_dispersion,
)
from detection.engine.fit import fit_baseline
from detection.engine.hysteresis import (
    HysteresisState,
    advance,
    alarms,
    clear_of_closed,
    incident_mask,
    init_state,
    step_state,
)
from detection.engine.live import live_cycle
from detection.engine.offline import SeriesScores, score_series
from detection.engine.profile import (
    ProfileStage,
    _forecast_levels,
    _shrink,
    _trailing_mean,
    fit_profile,
    slot_sums,
)
from detection.engine.robust import _cap, _nanmean, _nanmedian, _robust_mean
from detection.engine.windows import ScoreResult, _nb_params, score_window, significance_threshold

__all__ = [
    "DAY",
    "MONDAY0",
    "OK",
    "OUTAGE",
    "POSSIBLE",
    "WEEK",
    "_MEDIAN_CHI2_1",
    "_OUTAGE_SHARE",
    "Baseline",
    "EngineConfig",
    "HysteresisState",
    "ProfileStage",
    "ScoreResult",
    "SeriesScores",
    "_TrimmedFit",
    "_alpha_with_prior",
    "_cap",
    "_dense_stretches",
    "_expected_by_day",
    "_fit_dispersion",
    "_forecast_levels",
    "_moment_alpha",
    "_nanmean",
    "_nanmedian",
    "_nb_params",
    "_prior_baseline",
    "_robust_alpha",
    "_robust_mean",
    "_shrink",
    "_trailing_mean",
    "_trimmed_alpha",
    "_unrecorded_outages",
    "advance",
    "alarms",
    "clear_of_closed",
    "fit_baseline",
    "fit_dispersion",
    "fit_profile",
    "incident_mask",
    "init_state",
    "live_cycle",
    "score_series",
    "score_window",
    "significance_threshold",
    "slot_sums",
    "step_state",
    "to_epoch",
]
