"""Reads for the graphs (counts with the baseline band: typical volume and alert threshold per
bucket) and for freshness (how current the detector's results are: pages, the API and /readyz)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from detection import engine
from detection.models import BaselineFit, DetectionCursor
from detection.series import latest_fit, load_series
from outages.models import Service
from reports.selectors import history_reach, series_between


def baseline_band(
    service_id: int, country: str, bucket_starts: list[datetime], bucket_minutes: int
) -> tuple[list[float | None], list[float | None]]:
    """Expected reports and the significance threshold for each bucket of a series.

    Both None when no baseline has been fitted for the series yet (the band is then absent,
    never made up).
    """
    empty = [None] * len(bucket_starts)
    fit = latest_fit(with_series=False)
    if fit is None or not bucket_starts or not baseline_learnt(service_id, country, fit):
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


# A series' band is shown once its history could teach one: a whole day (the time-of-day
# profile is learnt from it) holding at least as many reports as the engine's prior is worth
# (level_prior_reports: from then on the data outweigh the made-up level). Before that the
# "normal range" would be the prior's floor drawn as if it had been observed.
LEARNT_AFTER = timedelta(days=1)


def baseline_learnt(service_id: int, country: str, fit: BaselineFit | None = None) -> bool:
    """Whether a baseline of the series has been learnt from its own reports (see above)."""
    fit = fit or latest_fit(with_series=False)
    if fit is None:
        return False
    service = Service(pk=service_id)
    first, enough = history_reach(
        service,
        country=country,
        before=fit.fitted_at,
        enough=round(engine.EngineConfig().level_prior_reports),
    )
    return first is not None and enough and first <= fit.fitted_at - LEARNT_AFTER


@dataclass(frozen=True)
class ChartPoint:
    """One bucket of a chart: counted reports, with the band (None where none is fitted)."""

    start: datetime
    count: int
    baseline: float | None
    threshold: float | None


def series_with_band(
    service: Service, *, start: datetime, end: datetime, bucket_minutes: int, country: str = ""
) -> list[ChartPoint]:
    """Counted reports per bucket from `start` to `end` with the baseline band: what every
    chart draws (the service and incident pages, the series API, open data)."""
    buckets = series_between(
        service, start=start, end=end, bucket_minutes=bucket_minutes, country=country
    )
    baseline, threshold = baseline_band(
        service.pk, country, [b.start for b in buckets], bucket_minutes
    )
    return [
        ChartPoint(b.start, b.count, base, limit)
        for b, base, limit in zip(buckets, baseline, threshold, strict=True)
    ]


# The detector runs every minute and scores up to the last complete minute, so the end of the
# last scored minute is normally 0-60 s old (60-120 s with a late beat). Three minutes means
# at least two cycles in a row did not run: beat or every worker has stopped.
DETECTION_LATE_AFTER = timedelta(minutes=3)
# Baselines are refitted hourly; two missed fits in a row is a stopped worker or beat (the
# cycle itself refits a fit older than this, detection.services.detect_spikes).
BASELINES_LATE_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class Freshness:
    """How current the detector's results are, as of `now`."""

    now: datetime
    # The end of the last minute the detector scored: the status was computed from the
    # reports up to then. None before the first cycle.
    detected_at: datetime | None
    baselines_at: datetime | None

    @property
    def detection_behind(self) -> bool:
        return self.detected_at is None or self.now - self.detected_at > DETECTION_LATE_AFTER

    @property
    def baselines_behind(self) -> bool:
        return self.baselines_at is None or self.now - self.baselines_at > BASELINES_LATE_AFTER


def detection_freshness(now: datetime | None = None) -> Freshness:
    """Two indexed single-row reads (the cursor row; the newest fit's time, not its arrays)."""
    cursor = DetectionCursor.objects.filter(pk=1).values_list("last_minute", flat=True).first()
    fitted = BaselineFit.objects.order_by("-fitted_at").values_list("fitted_at", flat=True).first()
    return Freshness(
        now=now or timezone.now(),
        detected_at=None if cursor is None else cursor + timedelta(minutes=1),
        baselines_at=fitted,
    )
