"""Writes for report intake: store the report, decide whether it counts, roll it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncHour
from django.http import HttpRequest
from django.utils import timezone

from common.buckets import minute_floor
from common.clients import client_key, client_of_request, network_key, parse_hop
from outages.models import ProblemType, Service
from reports import counting
from reports.fingerprint import reporter_fingerprint, salt_for_day
from reports.models import AddressWindow, HourlyReportCount, Report, ReportCount, ReporterWindow


@dataclass(frozen=True)
class Reporter:
    """Who is reporting, as the request tells it; only ever used to derive a fingerprint."""

    address: str  # the client key (common.clients): an IPv4 address or an IPv6 /64
    user_agent: str


def reporter_from(request: HttpRequest) -> Reporter:
    """The reporter of a request (DRF's or Django's), for the API and the web form alike: the
    client as the throttles and the ASGI intake see it (common.clients)."""
    return Reporter(
        address=client_of_request(request.META),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
    )


def report_create(
    *,
    service: Service,
    problem_type: ProblemType,
    country: str,
    reporter: Reporter,
    comment: str = "",
    now: datetime | None = None,
) -> Report:
    """Store a report; whether it counts is decided by the counting rules (reports.counting):
    the reporter's first for this service in the dedupe window, and its client and network
    under their caps. A report that does not count is stored with counted=False (as
    Downdetector keeps repeats) and leaves the roll-up untouched.
    """
    now = now or timezone.now()
    day = now.date()
    # A raw address (a caller, a test) becomes its client key; an unparsable one stays as is.
    client = client_key(parse_hop(reporter.address)) or reporter.address
    fingerprint = reporter_fingerprint(address=client, user_agent=reporter.user_agent, day=day)
    address = reporter_fingerprint(address=client, user_agent="", day=day)
    caps = counting.counters(
        counting.family_of(service), client, network_key(client), now, salt_for_day
    )
    with transaction.atomic():
        counted = counting.claim_reporter(service.pk, fingerprint, now) and counting.claim_caps(
            caps
        )
        report = Report.objects.create(
            service=service,
            problem_type=problem_type,
            country=country,
            comment=comment,
            reporter=fingerprint,
            source=address,
            counted=counted,
            created_at=now,
        )
        if counted:
            counts_add([(service.pk, country, problem_type.pk, now, 1)])
    return report


def purge_dedupe_windows(now: datetime) -> int:
    """Forget dedupe memory older than a day (the salts, and so the hashes, changed since)."""
    cutoff = now - timedelta(days=1)
    deleted = ReporterWindow.objects.filter(counted_at__lt=cutoff).delete()[0]
    return deleted + AddressWindow.objects.filter(window_start__lt=cutoff).delete()[0]


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


HOUR = timedelta(hours=1)
# Hours per roll-up statement: bounds one transaction when a long history is rolled up first.
ROLL_UP_BATCH = timedelta(days=7)


def hourly_counts_roll_up(now: datetime | None = None) -> int:
    """Roll ReportCount up into HourlyReportCount for every complete hour not yet rolled up.

    Starts again at the last hour already rolled up (a report committed just after its hour
    closed is then still counted) and stops before the current, incomplete hour. Each batch
    of hours is deleted and recomputed in one transaction (INSERT ... SELECT, nothing goes
    through Python), so running it twice, or two at once, gives the same rows. Returns the
    number of hours rolled up.
    """
    now = now or timezone.now()
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = HourlyReportCount.objects.order_by("-hour").values_list("hour", flat=True).first()
    if last is None:
        first = ReportCount.objects.order_by("minute").values_list("minute", flat=True).first()
        if first is None:
            return 0
        last = first.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = 0
    start = last
    while start < end:
        stop = min(start + ROLL_UP_BATCH, end)
        _roll_up(start, stop)
        hours += round((stop - start) / HOUR)
        start = stop
    return hours


def _roll_up(start: datetime, stop: datetime) -> None:
    """Recompute the hourly rows of hours start <= hour < stop from the minute rows."""
    select = (
        ReportCount.objects.filter(minute__gte=start, minute__lt=stop)
        .annotate(hour=TruncHour("minute", tzinfo=UTC))
        .values("service_id", "country", "hour")
        .annotate(n=Sum("count"))
        .values_list("service_id", "country", "hour", "n")
        .order_by()
    )
    sql, params = select.query.sql_with_params()
    table = HourlyReportCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        HourlyReportCount.objects.filter(hour__gte=start, hour__lt=stop).delete()
        cursor.execute(
            f"INSERT INTO {table} (service_id, country, hour, count) {sql} "
            "ON CONFLICT (service_id, hour, country) DO UPDATE SET count = excluded.count",
            params,
        )
