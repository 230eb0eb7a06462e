"""Writes for report intake: store the report, decide whether it counts, roll it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from outages.models import ProblemType, Service
from reports.fingerprint import reporter_fingerprint
from reports.models import Report, ReportCount


@dataclass(frozen=True)
class Reporter:
    """Who is reporting, as the request tells it; only ever used to derive a fingerprint."""

    address: str
    user_agent: str


def report_create(
    *,
    service: Service,
    problem_type: ProblemType,
    country: str,
    reporter: Reporter,
    comment: str = "",
    now: datetime | None = None,
) -> Report:
    """Store a report; only the reporter's first for this service in the window counts.

    A repeat within REPORT_DEDUPE_MINUTES is stored with counted=False (as Downdetector keeps
    repeats without counting them) and leaves the roll-up untouched.
    """
    now = now or timezone.now()
    fingerprint = reporter_fingerprint(
        address=reporter.address, user_agent=reporter.user_agent, day=now.date()
    )
    window_start = now - timedelta(minutes=settings.REPORT_DEDUPE_MINUTES)
    with transaction.atomic():
        counted = not Report.objects.filter(
            service=service, reporter=fingerprint, counted=True, created_at__gt=window_start
        ).exists()
        report = Report.objects.create(
            service=service,
            problem_type=problem_type,
            country=country,
            comment=comment,
            reporter=fingerprint,
            counted=counted,
            created_at=now,
        )
        if counted:
            counts_add([(service.pk, country, problem_type.pk, now, 1)])
    return report


def counts_add(cells: list[tuple[int, str, int, datetime, int]]) -> None:
    """Add to the per-minute roll-up: (service_id, country, problem_type_id, time, n) each.

    One INSERT ... ON CONFLICT DO UPDATE per cell (the same SQL on PostgreSQL and SQLite), so
    concurrent writers add to the row instead of overwriting each other.
    """
    table = ReportCount._meta.db_table
    sql = (
        f"INSERT INTO {table} (service_id, country, problem_type_id, minute, count) "
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (service_id, minute, country, problem_type_id) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (service_id, country, problem_type_id, adapt(minute_floor(at)), n)
        for service_id, country, problem_type_id, at, n in cells
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def minute_floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
