"""Reads: service status, counts and incidents, always from roll-ups and status rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django_countries import countries

from outages.models import Incident, IncidentLink, Level, Service, Status
from reports.models import ReportCount

BUCKETS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}


def minute_floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def window_start(now: datetime, minutes: int) -> datetime:
    """First minute of the last `minutes` minutes, the current (partial) minute included."""
    return minute_floor(now) - timedelta(minutes=minutes - 1)


def service_list() -> QuerySet[Service]:
    """Services with `level` (their global status; ok when never assessed) and `has_children`."""
    global_status = Status.objects.filter(service=OuterRef("pk"), country="")
    return (
        Service.objects.select_related("parent")
        .annotate(
            level=Coalesce(Subquery(global_status.values("level")[:1]), Value(Level.OK)),
            has_children=Exists(Service.objects.filter(parent=OuterRef("pk"))),
        )
        .order_by("name")
    )


def member_ids(services: Iterable[Service]) -> dict[int, list[int]]:
    """Each service's own id plus its children's: a parent's numbers are their sum."""
    members: dict[int, list[int]] = {s.pk: [s.pk] for s in services}
    for child_id, parent_id in Service.objects.filter(parent_id__in=members).values_list(
        "pk", "parent_id"
    ):
        members[parent_id].append(child_id)
    return members


def report_totals(services: Iterable[Service], *, start: datetime, end: datetime) -> dict[int, int]:
    """Counted reports per service between two instants (minutes start..end, inclusive)."""
    members = member_ids(services)
    all_ids = {i for ids in members.values() for i in ids}
    per_service = dict(
        ReportCount.objects.filter(service_id__in=all_ids, minute__gte=start, minute__lte=end)
        .values_list("service_id")
        .annotate(n=Sum("count"))
        .values_list("service_id", "n")
    )
    return {sid: sum(per_service.get(i, 0) for i in ids) for sid, ids in members.items()}


def _counts_in(
    service: Service, start: datetime, end: datetime, country: str = ""
) -> QuerySet[ReportCount]:
    ids = member_ids([service])[service.pk]
    counts = ReportCount.objects.filter(service_id__in=ids, minute__gte=start, minute__lte=end)
    return counts.filter(country=country) if country else counts


def top_problems(
    service: Service, *, start: datetime, end: datetime, country: str = "", limit: int = 3
) -> list[dict]:
    """The most reported problem types with their share in %, e.g. 59 % Website.

    A parent's breakdown is by child service instead ("59 % ChatGPT"), as on Downdetector.
    """
    counts = _counts_in(service, start, end, country)
    if Service.objects.filter(parent=service).exists():
        rows = counts.values_list("service__slug", "service__name").annotate(n=Sum("count"))
    else:
        rows = counts.values_list("problem_type__slug", "problem_type__name").annotate(
            n=Sum("count")
        )
    ranked = sorted(rows, key=lambda row: (-row[2], row[0]))
    total = sum(row[2] for row in ranked)
    return [
        {"slug": slug, "name": name, "count": n, "share": round(100 * n / total, 1)}
        for slug, name, n in ranked[:limit]
    ]


def top_regions(service: Service, *, start: datetime, end: datetime, limit: int = 5) -> list[dict]:
    rows = _counts_in(service, start, end).values_list("country").annotate(n=Sum("count"))
    ranked = sorted(rows, key=lambda row: (-row[1], row[0]))
    total = sum(n for _, n in ranked)
    return [
        {
            "country": code,
            "name": countries.name(code),
            "count": n,
            "share": round(100 * n / total, 1),
        }
        for code, n in ranked[:limit]
    ]


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


def report_series(
    service: Service, *, now: datetime, hours: int, bucket_minutes: int, country: str = ""
) -> list[Bucket]:
    """Counted reports per bucket over the last `hours`, oldest first, empty buckets as 0.

    Buckets are aligned to multiples of their size in UTC; the last one holds `now` and is
    still filling.
    """
    size = timedelta(minutes=bucket_minutes)
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    last_start = epoch + ((now - epoch) // size) * size
    n_buckets = hours * 60 // bucket_minutes
    first_start = last_start - (n_buckets - 1) * size
    counts = _counts_in(service, first_start, now, country)
    per_bucket: dict[int, int] = defaultdict(int)
    for minute, n in (
        counts.values_list("minute").annotate(n=Sum("count")).values_list("minute", "n")
    ):
        per_bucket[(minute - first_start) // size] += n
    return [Bucket(first_start + i * size, per_bucket.get(i, 0)) for i in range(n_buckets)]


def global_status(service: Service) -> Status | None:
    return Status.objects.filter(service=service, country="").first()


def active_incident(service: Service) -> Incident | None:
    return (
        Incident.objects.filter(service=service, country="", ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


def incident_list() -> QuerySet[Incident]:
    return Incident.objects.select_related("service").order_by("-started_at", "-pk")


def related_incidents(incident: Incident) -> list[tuple[Incident, IncidentLink]]:
    links = IncidentLink.objects.filter(
        Q(from_incident=incident) | Q(to_incident=incident)
    ).select_related("from_incident__service", "to_incident__service")
    return [
        (link.to_incident if link.from_incident_id == incident.pk else link.from_incident, link)
        for link in links
    ]
