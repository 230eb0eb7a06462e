"""The window tests: every time scale's negative-binomial tail, gates and the graph band."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from detection.engine.baseline import Baseline
from detection.engine.config import OUTAGE, EngineConfig


class ScoreResult(NamedTuple):
    """Per-series output of one scoring cycle (all arrays shaped (n_series,))."""

    score: np.ndarray  # in [0, 1]; 0.9 at the outage p-value, 0.66 at possible (default cfg)
    level: np.ndarray  # raw level before hysteresis: 0 ok, 1 possible, 2 outage
    threshold_15m: np.ndarray  # reports per 15 min that would be significant (possible) now
    expected_15m: np.ndarray  # baseline reports per 15 min now
    surprise: np.ndarray  # -log10 of the Bonferroni-adjusted p-value of the best scale
    level_by_scale: np.ndarray  # (n, n_scales) raw level of the scales up to each one
    # (n, n_scales) whether a raised scale up to each one is at least ``min_ratio_fast`` times
    # normal (on windows of ``fast_minutes`` or more): such an excess opens after
    # ``rise_minutes``, a milder one after ``sustain_minutes`` (``step_state``).
    fast_by_scale: np.ndarray | None = None


def _nb_params(mean: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy nbinom (n, p) for mean and dispersion alpha (Var = mean + alpha * mean^2)."""
    size = 1.0 / alpha
    return size, size / (size + mean)


def score_window(
    recent: np.ndarray,
    expected: np.ndarray,
    baseline: Baseline,
    config: EngineConfig | None = None,
) -> ScoreResult:
    """Test the latest buckets of every series against its baseline at every time scale.

    For each scale of k buckets, the window sum x is compared with its expected sum mu under
    a negative binomial with the per-series, per-scale dispersion: p = P(X >= x) (scipy
    ``nbinom.logsf``, exact tail, accurate to tiny p). Negative binomial rather than Poisson
    because report counts are over-dispersed (Poisson would flag ordinary noise). The best
    scale's p is Bonferroni-adjusted by the number of scales. A scale only counts when the
    excess x - mu reaches the absolute minimum (3 reports against 0.2 expected is not an
    outage, whatever the p-value). ``score`` = 1 - 10^(-s / s_outage) with s the gated
    surprise -log10 p, so it is monotone, in [0, 1), and 0.9 at the outage significance.
    """
    config = config or EngineConfig()
    recent = np.asarray(recent, dtype=float)
    expected = np.asarray(expected, dtype=float)
    missing = np.isnan(recent) | np.isnan(expected)
    recent = np.where(missing, 0.0, recent)
    expected = np.where(missing, 0.0, expected)
    n, width = recent.shape
    adjust = math.log10(len(baseline.scale_buckets))
    best = np.zeros(n)
    best_excess = np.full(n, -np.inf)
    level = np.zeros(n, dtype=np.int8)
    level_by_scale = np.zeros((n, len(baseline.scale_buckets)), dtype=np.int8)
    fast = np.zeros(n, dtype=bool)
    fast_by_scale = np.zeros((n, len(baseline.scale_buckets)), dtype=bool)
    s_possible = -math.log10(config.p_possible)
    s_outage = -math.log10(config.p_outage)
    k_now = min(config.buckets(config.current_minutes, baseline.bucket_seconds), width)
    k_fast = min(config.buckets(config.fast_minutes, baseline.bucket_seconds), width)
    recent_spans = {
        min(config.buckets(minutes, baseline.bucket_seconds), width)
        for minutes in (config.rise_minutes, config.current_minutes)
    }
    # Sums of the latest k buckets for every k in one pass: cumulative sums from the end.
    x_last = np.cumsum(recent[:, ::-1], axis=1)
    mu_last = np.cumsum(expected[:, ::-1], axis=1)
    for j, k in enumerate(baseline.scale_buckets):  # a few scales, vectorised over series
        k = min(k, width)
        x = x_last[:, k - 1]
        mu = np.maximum(mu_last[:, k - 1], 1e-9)
        size, p = _nb_params(mu, baseline.dispersion[:, j])
        # The exact tail only where there is an excess (scipy's NB tail is the cycle's main
        # cost; below the expectation the surprise is 0 anyway).
        up = np.flatnonzero(x > mu)
        surprise = np.zeros(n)
        surprise[up] = -stats.nbinom.logsf(x[up] - 1.0, size[up], p[up]) / math.log(10.0) - adjust
        # Clip: logsf can underflow to -inf for absurd spikes; keep the value finite.
        surprise = np.clip(surprise, 0.0, 1e4)
        excess = x - mu
        # A window speaks of now only while its latest buckets still carry at least half
        # their share of its excess (a steady excess carries all of it, a ramp more, an
        # excess that is over none), over two spans: the latest ``current_minutes``, so an
        # incident closes when the reports fall back; and the latest ``rise_minutes`` (at
        # least one bucket), so it opens only while the excess goes on. Without the second, a
        # window carries a spike that has already fallen back for as many buckets as it is
        # long, and the rise counts that one bucket twice: on 5-minute counts a single burst
        # bucket opened an incident through the 10- and 30-minute windows.
        current = np.ones(n, dtype=bool)
        for kr in recent_spans:
            if k > kr:
                latest = x_last[:, kr - 1] - mu_last[:, kr - 1]
                current &= latest >= 0.5 * excess * kr / k
        surprise = np.where(current, surprise, 0.0)
        # Soft volume and ratio gates for the score (hard gates for the levels below). The
        # multiple of normal is the present one (the latest ``current_minutes``): a longer
        # window only adds evidence, its average lags a ramp that is at twice normal now.
        kr = min(k, k_now)
        now_mu = np.maximum(mu_last[:, kr - 1], 1e-9)
        ratio = x_last[:, kr - 1] / now_mu
        gated = surprise * np.clip(
            np.minimum(
                excess / config.min_excess_possible,
                (ratio - 1.0) / (config.min_ratio_possible - 1.0),
            ),
            0.0,
            1.0,
        )
        best = np.maximum(best, gated)
        best_excess = np.maximum(best_excess, excess)
        # A crowd now (``current_minutes``; the same as the window's excess up to that length).
        crowd = x_last[:, kr - 1] - mu_last[:, kr - 1] >= config.min_excess_possible
        big_possible = (
            crowd & (excess >= config.min_excess_possible) & (ratio >= config.min_ratio_possible)
        )
        big_outage = (
            crowd & (excess >= config.min_excess_outage) & (ratio >= config.min_ratio_outage)
        )
        certain = big_outage & current & (x >= config.certain_ratio * mu)
        raw = np.where(
            ((surprise >= s_outage) & big_outage) | certain,
            OUTAGE,
            np.where((surprise >= s_possible) & big_possible, 1, 0),
        )
        level = np.maximum(level, raw.astype(np.int8))
        level_by_scale[:, j] = level
        if k >= k_fast:
            fast |= (raw > 0) & (ratio >= config.min_ratio_fast)
        fast_by_scale[:, j] = fast
    score = 1.0 - np.power(10.0, -best / s_outage)

    # The graph band: significance threshold of a 15-minute window now.
    k15 = min(config.buckets(15, baseline.bucket_seconds), width)
    mu15 = expected[:, -k15:].sum(axis=1)
    thr = significance_threshold(mu15, baseline, k15, config)
    return ScoreResult(score, level, thr, mu15, best, level_by_scale, fast_by_scale)


def significance_threshold(
    expected: np.ndarray,
    baseline: Baseline,
    window_buckets: int,
    config: EngineConfig | None = None,
) -> np.ndarray:
    """Smallest report count in a window of ``window_buckets`` buckets that is significant.

    ``expected``: (n,) expected reports in the window, ``baseline``: n rows (use ``take``).
    Significant = the level "possible": NB tail P(X >= x) <= p_possible / n_scales, at
    least ``min_excess_possible`` reports above expected and ``min_ratio_possible`` times it.
    Uses the dispersion of the nearest fitted scale. The upper edge of the graphs' band.
    """
    config = config or EngineConfig()
    mu = np.maximum(np.asarray(expected, dtype=float), 1e-9)
    j = int(np.argmin([abs(k - window_buckets) for k in baseline.scale_buckets]))
    size, p = _nb_params(mu, baseline.dispersion[:, j])
    q = config.p_possible / len(baseline.scale_buckets)
    thr = stats.nbinom.isf(q, size, p) + 1.0  # isf(q) = smallest k with P(X > k) <= q
    return np.maximum(
        thr, np.ceil(np.maximum(mu + config.min_excess_possible, mu * config.min_ratio_possible))
    )
