"""Reads for the graphs: the baseline band (typical volume and alert threshold) per bucket."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from detection import engine
from detection.series import latest_fit, load_series


def baseline_band(
    service_id: int, country: str, bucket_starts: list[datetime], bucket_minutes: int
) -> tuple[list[float | None], list[float | None]]:
    """Expected reports and the significance threshold for each bucket of a series.

    Both None when no baseline has been fitted for the series yet (the band is then absent,
    never made up).
    """
    empty = [None] * len(bucket_starts)
    fit = latest_fit(with_series=False)
    if fit is None or not bucket_starts:
        return empty, empty
    series = load_series(fit, service_id, country)
    if series is None:
        return empty, empty
    first = bucket_starts[0].timestamp()
    minutes = first + 60.0 * np.arange(len(bucket_starts) * bucket_minutes)
    expected = series.expected(minutes)[0].reshape(len(bucket_starts), bucket_minutes).sum(axis=1)
    threshold = engine.significance_threshold(
        expected, series.take(np.zeros(len(expected), dtype=int)), bucket_minutes
    )
    return (
        [round(float(x), 2) for x in expected],
        [float(x) for x in threshold],
    )
