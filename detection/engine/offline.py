"""The offline runner (NAB CSVs, ``manage.py score_series``): the live cycle's decisions
row by row, through the same ``advance``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from detection.engine.config import OK, EngineConfig, to_epoch
from detection.engine.fit import fit_baseline
from detection.engine.hysteresis import advance, alarms, init_state
from detection.engine.windows import score_window


class SeriesScores(NamedTuple):
    """Offline decisions for the rows of one series (``score_series``)."""

    anomaly_score: np.ndarray  # in [0, 1): the live score outside an episode, and on alarms
    label: np.ndarray  # 1 where the live system alarms (engine.alarms): opens or raises
    level: np.ndarray  # the confirmed live state: 0 ok, 1 possible, 2 outage


def score_series(
    timestamps: object,
    values: np.ndarray,
    config: EngineConfig | None = None,
    bucket_seconds: float | None = None,
) -> SeriesScores:
    """Offline streaming run over one regular series: the live cycle's decisions, row by row.

    No look-ahead: the baseline used for row t is fitted on rows strictly before the last
    refit boundary <= t (refit every ``refit_minutes``, like the live hourly job), leaving out
    the stretches under the incidents it confirmed so far (``incident_mask``, as the live job
    leaves out recorded incidents), and row t is scored from rows <= t only. Rows between two
    refits are scored in one vectorised batch (each row is a pseudo-series), then the
    hysteresis runs row by row. ``level`` is the confirmed state; ``label`` = 1 on rows where
    the live system alarms (``alarms``: an incident opens or its severity rises, not a
    reopening within ``reopen_minutes``); ``anomaly_score`` is the live score
    (``ScoreResult.score``) on alarm rows and 0 elsewhere: each anomaly scores once, where the
    product would notify (at its onset, and again only if it escalates), and how strongly it
    scores there ranks the alarms for a threshold. A score on rows where the live system does
    nothing would rank decisions the product never makes.
    Timestamps are UTC; ``bucket_seconds`` defaults to the median step.
    """
    config = config or EngineConfig()
    t = np.asarray(to_epoch(timestamps), dtype=float).ravel()
    v = np.asarray(values, dtype=float).ravel()
    n_rows = len(v)
    if n_rows == 0:
        return SeriesScores(np.zeros(0), np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int8))
    if len(t) != n_rows:
        raise ValueError(f"{len(t)} timestamps for {n_rows} values")
    # A repeated timestamp is tolerated (NAB's CloudWatch files repeat the hour a clock went
    # back; the later row wins in the fit), one that goes back is a broken file.
    if n_rows > 1 and (np.diff(t) < 0).any():
        row = int(np.argmax(np.diff(t) < 0)) + 2  # 1-based, the later of the pair
        raise ValueError(f"timestamps must not go back: data row {row} is before the one above")
    if np.isinf(v).any() or (v < 0).any():
        bad = int(np.argmax(np.isinf(v) | (v < 0)))
        raise ValueError(
            f"values are report counts, finite and not negative: data row {bad + 1} is {v[bad]:g}"
        )
    if bucket_seconds is None:
        bucket_seconds = float(np.median(np.diff(t))) if n_rows > 1 else 60.0
    # Regular grid so that gaps stay gaps (NaN) for the baseline fit.
    idx = np.round((t - t[0]) / bucket_seconds).astype(np.int64)
    grid = np.full(int(idx[-1]) + 1, np.nan)
    grid[idx] = v
    excluded = np.zeros(len(grid), dtype=bool)
    width = max(config.scale_buckets(bucket_seconds))
    refit = config.buckets(config.refit_minutes, bucket_seconds)
    cap = config.buckets(config.exclude_incident_minutes, bucket_seconds)
    state = init_state(1)
    scores = np.zeros(n_rows)
    confirmed = np.zeros(n_rows, dtype=np.int8)
    raised = np.zeros(n_rows, dtype=bool)
    padded = np.r_[np.full(width - 1, np.nan), v]
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)  # row r: rows r-w+1..r
    pad_t = np.r_[t[0] - bucket_seconds * np.arange(width - 1, 0, -1), t]
    run = 0  # buckets of the current incident so far
    for lo in range(0, n_rows, refit):
        hi = min(lo + refit, n_rows)
        upto = idx[lo]  # strictly before row lo
        baseline = fit_baseline(grid[:upto], t[0], bucket_seconds, config, excluded[:upto])
        exp_flat = baseline.expected(pad_t[lo : hi + width - 1])[0]
        exp_win = np.lib.stride_tricks.sliding_window_view(exp_flat, width)
        res = score_window(windows[lo:hi], exp_win, baseline.take(np.zeros(hi - lo, int)), config)
        for r in range(hi - lo):
            before = state
            state, level = advance(
                state,
                res.level_by_scale[r : r + 1],
                baseline.scale_buckets,
                config,
                bucket_seconds,
                res.fast_by_scale[r : r + 1],
            )
            confirmed[lo + r] = level[0]
            raised[lo + r] = alarms(before, level)[0]
            scores[lo + r] = res.score[r] if raised[lo + r] else 0.0
            run = run + 1 if level[0] > OK else 0
            excluded[idx[lo + r]] = 0 < run <= cap
            if run == 1:  # as the live incident: it started when its raised run began
                onset = int(state.run_possible[0])
                excluded[idx[max(lo + r - onset + 1, 0)] : idx[lo + r]] = True
    return SeriesScores(scores, raised.astype(np.int8), confirmed)
