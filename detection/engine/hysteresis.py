"""The incident state machine: rise, fall, episodes and alarms, and what the fit leaves out."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from detection.engine.config import OK, OUTAGE, POSSIBLE, EngineConfig


class HysteresisState(NamedTuple):
    """Per-series state of the incident state machine (int arrays, persist between cycles)."""

    level: np.ndarray  # confirmed level 0/1/2
    run_possible: np.ndarray  # consecutive buckets with raw level >= 1
    run_outage: np.ndarray  # consecutive buckets with raw level >= 2
    calm: np.ndarray  # consecutive buckets with raw level below the confirmed level
    calm_max: np.ndarray  # highest raw level seen during the current calm run
    # The episode: an incident and the ``reopen_minutes`` after it closes, in which a new
    # opening is the same outage reopening. ``rest``: buckets of that quiet period left
    # (full while open); ``peak``: the highest confirmed level of the episode (0 outside).
    rest: np.ndarray
    peak: np.ndarray


def init_state(n_series: int) -> HysteresisState:
    """All series ok, no runs, no episode."""
    z = np.zeros(n_series, dtype=np.int32)
    return HysteresisState(
        z.astype(np.int8),
        z.copy(),
        z.copy(),
        z.copy(),
        z.astype(np.int8),
        z.copy(),
        z.astype(np.int8),
    )


def alarms(before: HysteresisState, level: np.ndarray) -> np.ndarray:
    """Where a step raises an alarm: the confirmed ``level`` exceeds everything the episode
    had before (a new incident, or a severity never reached in this outage). A reopening
    within ``reopen_minutes`` at the same severity is not a new alarm."""
    return np.asarray(level) > before.peak


def step_state(
    state: HysteresisState,
    raw_level: np.ndarray,
    config: EngineConfig | None = None,
    bucket_seconds: float = 60.0,
    fast: np.ndarray | None = None,
) -> tuple[HysteresisState, np.ndarray]:
    """Advance the state machine by one bucket. Returns (new state, confirmed level).

    ``fast``: where the raised raw level is at least ``min_ratio_fast`` times normal
    (``ScoreResult.fast_by_scale``); elsewhere a level needs ``sustain_minutes`` of raised raw
    level instead of ``rise_minutes``. None: every excess is fast (the rise alone).

    A level is raised once the raw level has reached it for ``rise_minutes`` in a row (an
    incident opens at the highest level that held; while the outage level has begun but not
    yet held, the opening waits for it, at most ``rise_minutes`` less one bucket); it is
    lowered (to the highest raw level seen meanwhile) once the raw level has stayed below it
    for ``fall_minutes`` in a row. A single noisy bucket therefore neither opens nor closes.
    The episode (``rest``, ``peak``) lasts until ``reopen_minutes`` after the last close;
    ``alarms(state_before, level)`` tells a new alarm from a reopening.
    """
    config = config or EngineConfig()
    raw = np.asarray(raw_level).astype(np.int8)
    # At least two buckets whatever their width: one noisy bucket must never open an incident.
    rise = max(2, config.buckets(config.rise_minutes, bucket_seconds))
    need = rise
    if fast is not None:
        sustain = max(rise, config.buckets(config.sustain_minutes, bucket_seconds))
        need = np.where(np.asarray(fast, dtype=bool), rise, sustain)
    fall = config.buckets(config.fall_minutes, bucket_seconds)
    run1 = np.where(raw >= POSSIBLE, state.run_possible + 1, 0).astype(np.int32)
    run2 = np.where(raw >= OUTAGE, state.run_outage + 1, 0).astype(np.int32)
    target = np.where(run2 >= need, OUTAGE, np.where(run1 >= need, POSSIBLE, OK)).astype(np.int8)
    level = state.level
    # One notification per outage: an incident opens at the severity that held. While the
    # outage level has begun but not yet held (at most rise - 1 buckets), the opening waits
    # for it instead of opening as possible and raising a bucket later (two alarms).
    waiting = (level == OK) & (target == POSSIBLE) & (run2 > need - rise)
    target = np.where(waiting, OK, target).astype(np.int8)
    up = target > level
    level = np.where(up, target, level).astype(np.int8)
    below = raw < level
    calm = np.where(below & ~up, state.calm + 1, 0).astype(np.int32)
    calm_max = np.where(below & ~up, np.maximum(state.calm_max, raw), 0).astype(np.int8)
    down = calm >= fall
    # Lower to what persisted during the calm period (outage -> possible -> ok).
    level = np.where(down, np.minimum(calm_max, level - 1), level).astype(np.int8)
    calm = np.where(down, 0, calm).astype(np.int32)
    calm_max = np.where(down, 0, calm_max).astype(np.int8)
    reopen = config.buckets(config.reopen_minutes, bucket_seconds)
    rest = np.where(level > OK, reopen, np.maximum(state.rest - 1, 0)).astype(np.int32)
    peak = np.where(rest > 0, np.maximum(state.peak, level), 0).astype(np.int8)
    return HysteresisState(level, run1, run2, calm, calm_max, rest, peak), level


def clear_of_closed(
    level_by_scale: np.ndarray,
    scale_buckets: tuple[int, ...],
    state: HysteresisState,
    config: EngineConfig,
    bucket_seconds: float,
) -> np.ndarray:
    """The raw level from the windows that hold no report of an incident closed meanwhile.

    The fit never sees a window over an incident (they are left out of it), so a long window
    that still reaches back into one that closed an hour ago is tested against a band that
    was never meant for it. After a close, a window counts once it lies within the new
    buckets and the ``fall_minutes`` of calm that closed the incident."""
    reopen = config.buckets(config.reopen_minutes, bucket_seconds)
    fall = config.buckets(config.fall_minutes, bucket_seconds)
    after_close = (state.level == OK) & (state.rest > 0)
    free = np.where(after_close, reopen - state.rest + fall, np.iinfo(np.int32).max)
    last = np.searchsorted(np.asarray(scale_buckets), free, side="right") - 1
    rows = np.arange(level_by_scale.shape[0])
    return np.where(last >= 0, level_by_scale[rows, np.maximum(last, 0)], OK).astype(np.int8)


def advance(
    state: HysteresisState,
    level_by_scale: np.ndarray,
    scale_buckets: tuple[int, ...],
    config: EngineConfig,
    bucket_seconds: float,
    fast_by_scale: np.ndarray | None = None,
) -> tuple[HysteresisState, np.ndarray]:
    """One bucket of the live decision from a scoring cycle's ``level_by_scale`` (and
    ``fast_by_scale``, how far above normal): the raw level of the windows clear of a closed
    incident (``clear_of_closed``), then the hysteresis step (``step_state``). Returns (new
    state, confirmed level)."""
    raw = clear_of_closed(level_by_scale, scale_buckets, state, config, bucket_seconds)
    fast = None
    if fast_by_scale is not None:  # the same windows' verdict on the multiple
        fast = clear_of_closed(fast_by_scale, scale_buckets, state, config, bucket_seconds) > 0
    return step_state(state, raw, config, bucket_seconds, fast)


def incident_mask(
    levels: np.ndarray, config: EngineConfig | None = None, bucket_seconds: float = 60.0
) -> np.ndarray:
    """Buckets to leave out of the next fit: the first ``exclude_incident_minutes`` of every
    run of confirmed level > 0. ``levels``: (n, T) or (T,) confirmed levels, oldest first."""
    config = config or EngineConfig()
    on = np.asarray(levels) > 0
    idx = np.arange(on.shape[-1])
    last_off = np.maximum.accumulate(np.where(on, -1, idx), axis=-1)
    cap = config.buckets(config.exclude_incident_minutes, bucket_seconds)
    return on & (idx - last_off <= cap)
