"""Reads: service status, counts and incidents, always from roll-ups and status rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_countries import countries

from outages.models import Incident, IncidentLink, Level, Service, Status
from reports.models import ReportCount

BUCKETS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}


def minute_floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def bucket_start(at: datetime, size: timedelta) -> datetime:
    """Start of the `size`-long bucket holding `at`, buckets aligned to the Unix epoch."""
    epoch = datetime(1970, 1, 1, tzinfo=at.tzinfo)
    return epoch + ((at - epoch) // size) * size


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
    service: Service,
    *,
    start: datetime,
    end: datetime,
    country: str = "",
    limit: int = 3,
    by: str = "",
) -> list[dict]:
    """The most reported problem types with their share in %, e.g. 59 % Website.

    A parent's breakdown is by child service instead ("59 % ChatGPT"), as on Downdetector,
    unless `by` asks for one ("problem" or "service"): the parent page shows both.
    """
    counts = _counts_in(service, start, end, country)
    by = by or ("service" if Service.objects.filter(parent=service).exists() else "problem")
    if by == "service":
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
    last_start = bucket_start(now, size)
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


# --- Reads for the HTML pages, feeds and badge -------------------------------------------------


def sparklines(
    services: Iterable[Service], *, now: datetime, hours: int = 24
) -> dict[int, list[int]]:
    """Counted reports per UTC hour over the last `hours` (the last one still filling), per service.

    One grouped query for the whole home page: the roll-up is summed per hour in SQL
    (TruncHour), so the page never pulls minute rows into Python.
    """
    from django.db.models.functions import TruncHour

    members = member_ids(services)
    # A child's rows count for the child and for its parent when both are listed.
    owners: dict[int, list[int]] = defaultdict(list)
    for sid, ids in members.items():
        for i in ids:
            owners[i].append(sid)
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    lines = {sid: [0] * hours for sid in members}
    rows = (
        ReportCount.objects.filter(service_id__in=owners, minute__gte=first, minute__lte=now)
        .annotate(hour=TruncHour("minute"))
        .values_list("service_id", "hour")
        .annotate(n=Sum("count"))
        .values_list("service_id", "hour", "n")
    )
    for service_id, hour, n in rows:
        i = int((hour - first) // timedelta(hours=1))
        for sid in owners[service_id]:
            if 0 <= i < hours:
                lines[sid][i] += n
    return lines


@dataclass(frozen=True)
class IncidentGroup:
    """Active incidents that are linked to each other, shown together on the home page."""

    incidents: list[Incident]
    started_at: datetime
    reasons: list[str]


def active_incident_groups(services: Iterable[Service]) -> list[IncidentGroup]:
    """Open worldwide incidents of these services, linked ones grouped, newest group first."""
    open_incidents = {
        i.pk: i
        for i in Incident.objects.filter(
            service__in=list(services), country="", ended_at__isnull=True
        ).select_related("service")
    }
    # Union-find over the links between open incidents.
    root = {pk: pk for pk in open_incidents}

    def find(pk: int) -> int:
        while root[pk] != pk:
            root[pk] = root[root[pk]]
            pk = root[pk]
        return pk

    reasons: dict[int, set[str]] = defaultdict(set)
    links = IncidentLink.objects.filter(
        from_incident__in=list(open_incidents), to_incident__in=list(open_incidents)
    )
    for link in links:
        a, b = find(link.from_incident_id), find(link.to_incident_id)
        root[max(a, b)] = min(a, b)
        reasons[link.from_incident_id].add(link.get_reason_display())
    groups: dict[int, list[Incident]] = defaultdict(list)
    for pk, incident in open_incidents.items():
        groups[find(pk)].append(incident)
    result = []
    for members in groups.values():
        members.sort(key=lambda i: (i.started_at, i.service.name))
        why = sorted({r for i in members for r in reasons.get(i.pk, ())})
        result.append(IncidentGroup(members, members[0].started_at, why))
    return sorted(result, key=lambda g: g.started_at, reverse=True)


def incident_history(service: Service, *, limit: int = 10) -> list[Incident]:
    """The service's worldwide incidents, newest first, each with `linked` [(incident, link)]."""
    return list(incident_history_page(service, page=1, per_page=limit))


def incident_history_page(service: Service, *, page: object, per_page: int = 10) -> Page:
    """One page of the service's worldwide incidents, newest first, annotated as above.

    Any page number a visitor can type (absent, "x", 9999) gives a page: the first or the last.
    """
    paginator = Paginator(incident_list().filter(service=service, country=""), per_page)
    result = paginator.get_page(page)
    incidents = list(result.object_list)
    linked = linked_services([i.pk for i in incidents])
    now = timezone.now()
    for incident in incidents:
        incident.linked = linked.get(incident.pk, [])
        incident.duration = (incident.ended_at or now) - incident.started_at
    result.object_list = incidents
    return result


def linked_services(incident_ids: list[int]) -> dict[int, list[tuple[Incident, IncidentLink]]]:
    """For each incident, the incidents linked to it with the link (one query for the lot)."""
    result: dict[int, list[tuple[Incident, IncidentLink]]] = defaultdict(list)
    links = IncidentLink.objects.filter(
        Q(from_incident__in=incident_ids) | Q(to_incident__in=incident_ids)
    ).select_related("from_incident__service", "to_incident__service")
    wanted = set(incident_ids)
    for link in links:
        if link.from_incident_id in wanted:
            result[link.from_incident_id].append((link.to_incident, link))
        if link.to_incident_id in wanted:
            result[link.to_incident_id].append((link.from_incident, link))
    return result


def recent_comments(service: Service, *, limit: int = 5, per_client: int = 1) -> list:
    """Visible comments on the service (and its children), newest first: of counted reports
    only (a repeat or a capped report is stored but has no voice either), and at most
    `per_client` per client (address or IPv6 /64, whatever its user agents), so one client
    cannot own every slot.

    Served by report_service_recent_idx; moderated ones (comment_hidden) are never read.
    """
    from reports.models import Report

    ids = member_ids([service])[service.pk]
    # Counted reports of one client are capped per window (reports/counting.py), so a few
    # times `limit` candidates hold `limit` distinct clients unless nobody else commented.
    candidates = (
        Report.objects.filter(service_id__in=ids, comment_hidden=False, counted=True)
        .exclude(comment="")
        .select_related("problem_type")
        .only("comment", "country", "created_at", "reporter", "source", "problem_type__name")
        .order_by("-created_at")[: limit * 10]
    )
    shown: list = []
    seen: dict[str, int] = {}
    for report in candidates:
        # Reports stored before `source` existed have none: their reporter stands in.
        client = report.source or report.reporter
        if seen.get(client, 0) < per_client:
            seen[client] = seen.get(client, 0) + 1
            shown.append(report)
            if len(shown) == limit:
                break
    return shown


def region_heat(service: Service, *, start: datetime, end: datetime) -> list[dict]:
    """Reports per country in a window, ranked, with `ratio` to that country's baseline.

    The baseline is the per-country Status row's expected volume scaled to the window; it is
    None where detection keeps no series for that country (then the map shows the share only).
    """
    rows = _counts_in(service, start, end).values_list("country").annotate(n=Sum("count"))
    ranked = sorted(rows, key=lambda row: (-row[1], row[0]))
    total = sum(n for _, n in ranked) or 1
    window_minutes = (end - start).total_seconds() / 60 + 1
    expected = {
        str(code): value * window_minutes / 15
        for code, value in Status.objects.filter(service=service)
        .exclude(country="")
        .exclude(expected_15m__isnull=True)
        .values_list("country", "expected_15m")
    }
    return [
        {
            "country": code,
            "name": countries.name(code),
            "count": n,
            "share": round(100 * n / total, 1),
            "expected": None if code not in expected else round(expected[code], 1),
            "ratio": None if code not in expected else n / max(expected[code], 0.5),
        }
        for code, n in ranked
    ]


def series_between(
    service: Service, *, start: datetime, end: datetime, bucket_minutes: int, country: str = ""
) -> list[Bucket]:
    """Counted reports per bucket from `start` to `end` (UTC-aligned buckets, empty as 0)."""
    size = timedelta(minutes=bucket_minutes)
    first_start = bucket_start(start, size)
    n_buckets = int((end - first_start) // size) + 1
    per_bucket: dict[int, int] = defaultdict(int)
    for minute, n in (
        _counts_in(service, first_start, end, country)
        .values_list("minute")
        .annotate(n=Sum("count"))
        .values_list("minute", "n")
    ):
        per_bucket[(minute - first_start) // size] += n
    return [Bucket(first_start + i * size, per_bucket.get(i, 0)) for i in range(n_buckets)]


def problem_mix_series(
    service: Service, *, start: datetime, end: datetime, bucket_minutes: int, limit: int = 4
) -> tuple[list[datetime], list[dict]]:
    """The problem mix over time: bucket starts and, per top problem type, counts per bucket.

    Types beyond the `limit` most reported are summed as one "other" row (slug "").
    """
    size = timedelta(minutes=bucket_minutes)
    first_start = bucket_start(start, size)
    n_buckets = int((end - first_start) // size) + 1
    rows = (
        _counts_in(service, first_start, end)
        .values_list("problem_type__slug", "problem_type__name", "minute")
        .annotate(n=Sum("count"))
    )
    per_type: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * n_buckets)
    for slug, name, minute, n in rows:
        per_type[(slug, name)][(minute - first_start) // size] += n
    ranked = sorted(per_type.items(), key=lambda item: (-sum(item[1]), item[0][0]))
    mix = [{"slug": slug, "name": name, "counts": c} for (slug, name), c in ranked[:limit]]
    if len(ranked) > limit:
        rest = [sum(col) for col in zip(*(c for _, c in ranked[limit:]), strict=True)]
        mix.append({"slug": "", "name": "", "counts": rest})
    return [first_start + i * size for i in range(n_buckets)], mix


def incident_periods(
    service: Service, *, since: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(start, end or None while open) of the service's worldwide incidents overlapping `since`."""
    return list(
        Incident.objects.filter(service=service, country="")
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("started_at")
        .values_list("started_at", "ended_at")
    )
