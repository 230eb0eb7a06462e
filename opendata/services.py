"""Daily open-data dumps: gzip'd CSV written row by row (bounded memory), then renamed into
place, so a reader never sees half a file."""

from __future__ import annotations

import csv
import gzip
import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from opendata.selectors import day_series
from outages.models import Incident, IncidentLink, Service

# `partial`: 1 for the bucket that was still filling when the dump was written (a dump of
# today), else 0; buckets after that are not written.
COUNT_COLUMNS = ["service", "country", "start", "reports", "baseline", "threshold", "partial"]
INCIDENT_COLUMNS = [
    "id", "service", "country", "severity", "started_at", "peak_at", "peak_reports",
    "expected_at_peak", "ended_at", "url", "related",
]  # fmt: skip
# Incidents are read and written this many at a time (with their links).
CHUNK = 1000


def dump_dir() -> Path:
    path = Path(settings.OPENDATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(name: str, header: list[str], rows: Iterable[list]) -> Path:
    target = dump_dir() / name
    partial = target.with_name(f".{name}.partial")
    # mtime=0: the same rows give the same bytes, so a re-run does not change the file.
    with open(partial, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        text = _TextSink(packed)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
    os.replace(partial, target)
    return target


class _TextSink:
    """csv.writer's file: encodes each line straight into the gzip stream."""

    def __init__(self, stream: gzip.GzipFile) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text.encode())


def _utc(moment: datetime) -> str:
    """One timestamp form in every file, as the API writes it: 2026-01-31T09:15:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _blank(value: float | None) -> str | float:
    return "" if value is None else value


def dump_counts(day: date) -> Path:
    """counts-15m-<day>.csv.gz: per service, worldwide and per country, every 15 minutes of
    the UTC day: reports, baseline and threshold."""
    day_start = datetime.combine(day, time(0), tzinfo=UTC)

    def rows() -> Iterable[list]:
        for service in Service.objects.order_by("slug").iterator():
            for row in day_series(service, day_start):
                yield [
                    row.service,
                    row.country,
                    _utc(row.start),
                    _blank(row.count),  # empty: 1-4 reports, suppressed (selectors.K_FLOOR)
                    _blank(row.baseline),
                    _blank(row.threshold),
                    int(row.partial),
                ]

    return _write(f"counts-15m-{day.isoformat()}.csv.gz", COUNT_COLUMNS, rows())


def dump_incidents() -> Path:
    """incidents.csv.gz: every incident with its links ("id:reason" joined by spaces)."""

    def rows() -> Iterable[list]:
        last = 0
        while True:
            chunk = list(
                Incident.objects.filter(pk__gt=last)
                .select_related("service")
                .order_by("pk")[:CHUNK]
            )
            if not chunk:
                return
            ids = [incident.pk for incident in chunk]
            related: dict[int, list[str]] = {pk: [] for pk in ids}
            for link in IncidentLink.objects.filter(
                Q(from_incident_id__in=ids) | Q(to_incident_id__in=ids)
            ):
                for mine, other in (
                    (link.from_incident_id, link.to_incident_id),
                    (link.to_incident_id, link.from_incident_id),
                ):
                    if mine in related:
                        related[mine].append(f"{other}:{link.reason}")
            for incident in chunk:
                yield [
                    incident.pk,
                    incident.service.slug,
                    incident.country.code or "",
                    incident.severity,
                    _utc(incident.started_at),
                    _utc(incident.peak_at),
                    incident.peak_reports,
                    incident.expected_at_peak,
                    _utc(incident.ended_at) if incident.ended_at else "",
                    settings.SITE_URL.rstrip("/") + reverse("outages:incident", args=[incident.pk]),
                    " ".join(sorted(related[incident.pk])),
                ]
            last = ids[-1]

    return _write("incidents.csv.gz", INCIDENT_COLUMNS, rows())


def dump_day(day: date) -> list[Path]:
    """The daily dump: that day's counts and all incidents so far; old count files are kept."""
    return [dump_counts(day), dump_incidents()]


def yesterday(now: datetime) -> date:
    return (now - timedelta(days=1)).date()
