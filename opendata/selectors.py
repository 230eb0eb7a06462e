"""Reads for open data: report counts with baseline and threshold per bucket, for any window.

The history API and the daily dumps both read through `series_rows`, so a dump and the API
always agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from common.buckets import bucket_start
from detection.selectors import ChartPoint, series_with_band
from outages.models import Service
from reports.selectors import reporting_countries

BUCKETS = {"15m": 15, "1h": 60, "1d": 24 * 60}
# Small-count floor (docs/open-data-privacy.md): a published cell holding 1 to K_FLOOR - 1
# reports is suppressed (count null in the API, empty in the dumps); 0 and K_FLOOR or more are
# published as counted. A cell of one or two reports says what one person did, when and
# where (issue 25: `chatgpt,IN,...,1`); 5 is the floor statistical offices publish by (ONS,
# CDC, Eurostat use 5 to 10 for small-cell suppression), and it is the report cap of one
# client per service and window: below it a cell may be a single client's doing.
K_FLOOR = 5


def floored(count: int) -> int | None:
    """The count as published: None (suppressed) for 1 to K_FLOOR - 1 reports."""
    return None if 0 < count < K_FLOOR else count


@dataclass(frozen=True)
class Row(ChartPoint):
    """A chart point of one service and scope, as the history API and the dumps give it
    (its count floored: `floored`)."""

    service: str
    country: str  # "" for worldwide
    partial: bool = False  # the bucket holding "now": still filling, its count so far


def series_rows(
    service: Service,
    *,
    start: datetime,
    buckets: int,
    bucket_minutes: int,
    country: str = "",
    now: datetime | None = None,
) -> list[Row]:
    """`buckets` consecutive buckets from `start` (aligned), empty ones 0, none after `now`
    (a bucket that has not begun has no count, not a 0); the one holding `now` is flagged
    partial. A parent counts its children's reports too, as everywhere else."""
    now = now or timezone.now()
    size = timedelta(minutes=bucket_minutes)
    buckets = min(buckets, max(0, -(-(now - start) // size)))  # those begun by now
    if buckets == 0:
        return []
    end = min(start + buckets * size - timedelta(minutes=1), now)
    points = series_with_band(
        service, start=start, end=end, bucket_minutes=bucket_minutes, country=country
    )
    return [
        Row(
            **{**vars(p), "count": floored(p.count)},
            service=service.slug,
            country=country,
            partial=p.start + size > now,
        )
        for p in points
    ]


class History:
    """Rows of several services over one window, ordered by service then time, computed a
    page at a time: `len()` and slices are all a paginator needs."""

    def __init__(
        self, services: list[Service], *, since: datetime, until: datetime, bucket_minutes: int
    ) -> None:
        size = timedelta(minutes=bucket_minutes)
        self.services = services
        self.bucket_minutes = bucket_minutes
        self.first = bucket_start(since, size)
        # Never a bucket after now (`until` may be up to a day ahead): one instant for every
        # page, so the partial bucket is the same on each.
        self.now = timezone.now()
        until = min(until, self.now)
        self.per_service = max(0, -(-(until - self.first) // size))  # ceiling division
        self.size = size

    def __len__(self) -> int:
        return len(self.services) * self.per_service

    def __getitem__(self, index: slice) -> list[Row]:
        begin, stop, _ = index.indices(len(self))
        rows: list[Row] = []
        for position in range(begin // self.per_service, -(-stop // self.per_service)):
            lo = max(begin, position * self.per_service) - position * self.per_service
            hi = min(stop, (position + 1) * self.per_service) - position * self.per_service
            if hi > lo:
                rows += series_rows(
                    self.services[position],
                    start=self.first + lo * self.size,
                    buckets=hi - lo,
                    bucket_minutes=self.bucket_minutes,
                    now=self.now,
                )
        return rows


def day_series(service: Service, day_start: datetime) -> Iterator[Row]:
    """A service's 15-minute rows for one UTC day: worldwide, then each country it had
    reports from that day."""
    countries = reporting_countries(
        service, start=day_start, end=day_start + timedelta(days=1) - timedelta(minutes=1)
    )
    for country in ["", *countries]:
        yield from series_rows(
            service, start=day_start, buckets=96, bucket_minutes=15, country=country
        )
