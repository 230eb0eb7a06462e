"""Units and the one configuration: every tunable of the engine, and time conversion."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np

DAY = 86_400


WEEK = 7 * DAY


# 1970-01-05 00:00 UTC was a Monday: time-of-week slot 0 starts on Monday 00:00 UTC.
MONDAY0 = 4 * DAY


OK, POSSIBLE, OUTAGE = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class EngineConfig:
    """All tunables. Durations in minutes, rates in reports per minute, p-values one-sided."""

    # --- baseline -----------------------------------------------------------------------------
    slot_minutes: int = 60  # width of a time-of-week slot (must divide a day)
    history_days: float = 182.0  # at most six months of history are used
    refit_minutes: int = 60  # offline runner refits like the live hourly baseline job
    shrink_days: float = 2.0  # time-of-day profile shrinks to the flat mean with this many days
    shrink_weeks: float = 8.0  # time-of-week slots shrink to time-of-day x weekday factor
    winsor_z: float = 4.0  # history values above median + z * robust sd are clipped (outages)
    level_days: float = 7.0  # current level: recency-weighted mean of recent daily levels...
    level_halflife_days: float = 1.0  # ...with this half-life (adapts to growth and decline)
    level_prior_reports: float = 30.0  # day levels and weekday factors: prior worth N reports
    prior_rate_per_minute: float = 0.01  # floor of the expected rate (new or silent services)
    # A service watched only minutes has no normal yet: its mean rate is shrunk towards the
    # floor with a prior worth this much observed time (the refit period: a normal learnt
    # from less than an hour is mostly prior). On a fresh install the first fit runs seconds
    # after the first burst of reports; without this it took that burst as the service's
    # normal (375 expected per 15 minutes for a service with 40 reports in its whole life).
    prior_minutes: float = 60.0
    # --- dispersion (negative binomial, Var = mu + alpha * mu^2, per series and time scale) --
    dispersion_days: float = 14.0
    dispersion_prior: float = 0.3  # alpha for series without enough history (bursty by default)
    dispersion_prior_weight: float = 200.0  # prior strength, in (reports per window)^2
    dispersion_min: float = 0.002
    dispersion_max: float = 10.0
    # Outages nobody recorded (history from before the detector ran, one it missed) are left
    # out of the fit like recorded incidents: stretches of ``outage_minutes`` (the shortest
    # outage the product looks for: a partial outage lasts 20-60 minutes) in which most buckets
    # lie beyond the last of these cuts (sd of a trimmed one-bucket fit). Everything else is
    # the series' noise, bursts included: real counts have heavy tails (tweet volumes burst
    # 4-40x for a few minutes every few days), and trimming them made the band too narrow
    # (NAB DEV leave-one-file-out 52.8 with every scale trimmed, 63.9 with these stretches only).
    # The one-bucket fit starts from a robust alpha (the median of per-window estimates, 50%
    # breakdown), so a surge that comes back every day cannot widen the first cut.
    dispersion_trim_z: tuple[float, ...] = (8.0, 6.0)
    dispersion_robust_windows: int = 1440  # windows (spread over the period) for that start
    outage_minutes: float = 20.0
    dispersion_max_windows: int = 10_080  # per scale: a week of minutes is plenty
    # --- spike test ---------------------------------------------------------------------------
    # The product's horizons: 1 min (a crash's first minute), 5 (the crash deadline), 10 (the
    # partial-outage deadline: the end-aligned window that holds an outage's first 10 minutes
    # whole; a 15-minute one still holds 5 ordinary minutes), 30 (the surge deadline), and
    # 60-240 min, which add up the excess of slow surges that no short window sees at once (a
    # scan of likelihood ratios over horizons, as long as a surge's 2-4 h ramp).
    scales_minutes: tuple[int, ...] = (1, 5, 10, 30, 60, 120, 240)
    # The false-alarm budget (<= 1 false episode per series-month) is held by the crowd and
    # the multiple of normal below, not by the p-value alone, and the p-value spends what is
    # left of it on finding outages sooner. On seven sets of 16 simulated streams (make
    # eval-outages, seeds 2026 and 0-5): 1e-4 gave 0.25-0.62 false episodes per series-month
    # (mean 0.46), 2e-4 0.38-0.81 (mean 0.64) with 7 more of 112 surges and 2 more partial
    # outages in time, 3e-4 a mean of 0.85 (too close to the budget for streams never seen),
    # 1e-3 gave 3 (development seeds 0-15). The simulator's stray 10-12 report blips are
    # what the crowd floor stops.
    p_possible: float = 2e-4  # Bonferroni-adjusted over the scales
    p_outage: float = 1e-8
    # A crowd: 15 reports above expected in the window, the simulator's (and the issue's)
    # minimum crowd of a partial outage (>= 15 extra reports in its first 10 minutes).
    min_excess_possible: float = 15.0
    min_excess_outage: float = 20.0
    # A crowd is not enough when the usual volume is large: an outage is a multiple of normal
    # (the simulator's surges count from 2x, partial outages are 3-5x, crashes 8-60x), while
    # 1.2-1.6x news bumps and ordinary growth are not outages, whatever their p-value.
    min_ratio_possible: float = 1.5  # window reports / expected for "possible"...
    min_ratio_outage: float = 2.0  # ...and for "outage"
    current_minutes: float = 15.0  # the latest minutes a longer window must still be high in
    # --- what makes an excess an incident (issue 26: quiet on noise it was not tuned to) ------
    # A crowd now: a window longer than ``current_minutes`` counts only while its latest
    # ``current_minutes`` alone hold ``min_excess_possible`` extra reports. The counting
    # promise (reports/promise.py, held equal to this config by detection/checks.py) lets one
    # client add at most 4 and one network at most 7 reports to a family's series in any
    # 240-minute span, so no window of the detector can be opened by one client or network.
    # How long an excess must last: one below ``min_ratio_fast`` times normal must hold
    # ``sustain_minutes`` before it is an incident: a link shared or a newsletter sent brings
    # a burst of a few minutes at 1.5-2.5x, which is not worth a message, while a surge that
    # matters holds (its goal is 30 minutes after it doubles). 2.5x: the top of those bursts,
    # and below the smallest partial outage (3x) by the noise of its first minutes (at 3.0 a
    # 3x partial on a one-report-a-minute series read under 3x for most of its first 10
    # minutes and missed its goal; crashes are 8-60x). The multiple is read on windows of at
    # least ``fast_minutes`` (the crash deadline), not on one noisy minute.
    min_ratio_fast: float = 2.5
    sustain_minutes: float = 15.0
    fast_minutes: float = 5.0
    # No noise is this multiple of a series' expectation, whatever dispersion its history
    # showed: a window at 50x expected, with a crowd, is an outage at any bucket size (a fit
    # on a few hours of 15-minute buckets, or one that saw a burst, can be too wide to say so).
    certain_ratio: float = 50.0
    # --- hysteresis ---------------------------------------------------------------------------
    # A raised raw level must hold this long to open/raise; a window longer than this must
    # still be high in its latest ``rise_minutes`` (at least one bucket) to count.
    rise_minutes: float = 2.0
    fall_minutes: float = 15.0  # and be gone this long to lower/close
    # An incident that re-opens within this time of closing is the same outage: it reopens
    # without a new alarm (one notification per outage; CAD OSE and ARTime, the strongest NAB
    # detectors, likewise stay silent for about half a day after an alarm).
    reopen_minutes: float = 720.0
    # --- what the fit leaves out -------------------------------------------------------------
    # Stretches under a confirmed incident are left out of the fit (level, profile and
    # dispersion), so a surge neither raises tomorrow's baseline nor widens the noise band;
    # but only the first day of an incident: a change that lasts longer is the new normal.
    exclude_incident_minutes: float = 1440.0

    def buckets(self, minutes: float, bucket_seconds: float) -> int:
        """Number of buckets covering ``minutes`` (at least one)."""
        return max(1, round(minutes * 60.0 / bucket_seconds))

    def scale_buckets(self, bucket_seconds: float) -> tuple[int, ...]:
        """The spike-test time scales in buckets, deduplicated, ascending."""
        return tuple(sorted({self.buckets(m, bucket_seconds) for m in self.scales_minutes}))


def to_epoch(t: object) -> float | np.ndarray:
    """UTC epoch seconds of a number, datetime (naive = UTC), datetime64 or array of those."""
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ms]").astype(np.int64) / 1000.0
    if arr.dtype == object:
        return np.array([to_epoch(x) for x in arr.ravel()], dtype=float).reshape(arr.shape)
    return arr.astype(float) if arr.ndim else float(arr)
