"""One live detection cycle: expected counts, window tests, ``advance``."""

from __future__ import annotations

import numpy as np

from detection.engine.baseline import Baseline
from detection.engine.config import EngineConfig, to_epoch
from detection.engine.hysteresis import HysteresisState, advance
from detection.engine.windows import ScoreResult, score_window


def live_cycle(
    recent: np.ndarray,
    recent_start: object,
    baseline: Baseline,
    state: HysteresisState,
    config: EngineConfig | None = None,
) -> tuple[ScoreResult, HysteresisState, np.ndarray]:
    """One live detection cycle: expected counts, spike tests, hysteresis step.

    ``recent``: (n_series, k) counts of the latest k buckets (k >= 15 minutes), most
    recent last; ``recent_start``: UTC start of its first column.
    """
    config = config or EngineConfig()
    k = recent.shape[1]
    t0 = float(to_epoch(recent_start))
    times = t0 + np.arange(k) * baseline.bucket_seconds
    result = score_window(recent, baseline.expected(times), baseline, config)
    state, level = advance(
        state,
        result.level_by_scale,
        baseline.scale_buckets,
        config,
        baseline.bucket_seconds,
        result.fast_by_scale,
    )
    return result, state, level
