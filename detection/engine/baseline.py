"""The fitted baselines of n series and their expected counts at any instant."""

from __future__ import annotations

import dataclasses

import numpy as np

from detection.engine.config import MONDAY0, WEEK, EngineConfig, to_epoch


@dataclasses.dataclass(frozen=True)
class Baseline:
    """Fitted baselines of n series. Rates are reports per bucket of ``bucket_seconds``."""

    profile: np.ndarray  # (n, slots_per_week) typical rate per bucket, slot 0 = Mon 00:00 UTC
    level: np.ndarray  # (n,) current level factor (growth/decline), multiplies the profile
    dispersion: np.ndarray  # (n, n_scales) NB alpha of window sums at each scale
    bucket_seconds: float
    slot_seconds: float
    floor: float  # minimum expected reports per bucket
    scale_buckets: tuple[int, ...]
    fitted_at: float  # epoch seconds just after the last history bucket

    @property
    def n_series(self) -> int:
        return self.profile.shape[0]

    def take(self, index: np.ndarray) -> Baseline:
        """Baselines of the series at ``index`` (fancy index; repeats allowed)."""
        return dataclasses.replace(
            self,
            profile=self.profile[index],
            level=self.level[index],
            dispersion=self.dispersion[index],
        )

    def expected(self, times: object) -> np.ndarray:
        """Expected reports per bucket for buckets starting at ``times`` -> (n_series, n_times).

        The slot profile is linearly interpolated between slot centres (cyclic over the week)
        so that the expectation follows the daily ramp instead of stepping every hour.
        """
        t = np.atleast_1d(np.asarray(to_epoch(times), dtype=float))
        return self._expected_with_level(t, self.level[:, None])

    def _expected_with_level(self, t: np.ndarray, level: np.ndarray) -> np.ndarray:
        return np.maximum(level * self._shape(t), self.floor)

    def _shape(self, t: np.ndarray) -> np.ndarray:
        """The profile interpolated at bucket starts ``t`` (before the level and the floor)."""
        spw = self.profile.shape[1]
        pos = ((t + self.bucket_seconds / 2 - MONDAY0) % WEEK) / self.slot_seconds - 0.5
        lo = np.floor(pos)
        frac = pos - lo
        i0 = lo.astype(np.int64) % spw
        i1 = (i0 + 1) % spw
        runs = np.flatnonzero(np.r_[True, i0[1:] != i0[:-1]])
        if len(runs) > 32:  # many slots: gather every column (fewer numpy calls)
            return self.profile[:, i0] * (1.0 - frac) + self.profile[:, i1] * frac
        # Many buckets per slot (the live cycle: 60,000 series x 4 hours of minutes): the
        # same arithmetic, one pair of profile columns per slot broadcast over its buckets,
        # instead of gathering two columns per bucket (1.0 s -> 0.1 s of a cycle).
        out = np.empty((self.profile.shape[0], len(t)))
        for a, b in zip(runs.tolist(), [*runs[1:].tolist(), len(t)], strict=True):
            np.add(
                self.profile[:, i0[a], None] * (1.0 - frac[a:b]),
                self.profile[:, i1[a], None] * frac[a:b],
                out=out[:, a:b],
            )
        return out


def _prior_baseline(
    n: int, bucket_seconds: float, slot_seconds: float, config: EngineConfig, fitted_at: float
) -> Baseline:
    spw = round(WEEK / slot_seconds)
    floor = config.prior_rate_per_minute * bucket_seconds / 60.0
    scales = config.scale_buckets(bucket_seconds)
    return Baseline(
        profile=np.full((n, spw), floor),
        level=np.ones(n),
        dispersion=np.full((n, len(scales)), config.dispersion_prior),
        bucket_seconds=float(bucket_seconds),
        slot_seconds=float(slot_seconds),
        floor=floor,
        scale_buckets=scales,
        fitted_at=fitted_at,
    )
