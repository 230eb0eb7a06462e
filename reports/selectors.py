"""Reads of the report counts: every query over the roll-up (ReportCount) and the comments.

Pages, the API, detection's incident summaries and open data read counts through these, so a
parent service counts its children's reports the same way everywhere (outages.member_ids).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncHour
from django_countries import countries

from common.buckets import bucket_start
from outages.models import Service, Status
from outages.selectors import member_ids
from reports.models import Report, ReportCount


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


def _ranked(rows: Iterable[tuple]) -> list[tuple]:
    """(key..., count) rows, most counted first (ties by key), each with its share in % added."""
    ranked = sorted(rows, key=lambda row: (-row[-1], row[0]))
    total = sum(row[-1] for row in ranked)
    return [(*row, round(100 * row[-1] / total, 1)) for row in ranked]


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
    return [
        {"slug": slug, "name": name, "count": n, "share": share}
        for slug, name, n, share in _ranked(rows)[:limit]
    ]


def country_total(service: Service, country: str, *, start: datetime, end: datetime) -> int:
    """Counted reports of a service in one country between two instants."""
    return _counts_in(service, start, end, country).aggregate(n=Sum("count"))["n"] or 0


def top_regions(
    service: Service, *, start: datetime, end: datetime, limit: int | None = 5
) -> list[dict]:
    """The countries reporting most in a window (all of them for limit None), with shares in %."""
    rows = _counts_in(service, start, end).values_list("country").annotate(n=Sum("count"))
    return [
        {"country": code, "name": countries.name(code), "count": n, "share": share}
        for code, n, share in _ranked(rows)[:limit]
    ]


def reporting_countries(service: Service, *, start: datetime, end: datetime) -> list[str]:
    """The countries with reports in a window, sorted by code."""
    codes = _counts_in(service, start, end).values_list("country", flat=True).distinct()
    return sorted(set(codes) - {""})


def region_heat(service: Service, *, start: datetime, end: datetime) -> list[dict]:
    """Every reporting country in a window, ranked as top_regions, with `ratio` to that
    country's baseline.

    The baseline is the per-country Status row's expected volume scaled to the window; it is
    None where detection keeps no series for that country (then the map shows the share only).
    """
    window_minutes = (end - start).total_seconds() / 60 + 1
    expected = {
        str(code): value * window_minutes / 15
        for code, value in Status.objects.filter(service=service)
        .exclude(country="")
        .exclude(expected_15m__isnull=True)
        .values_list("country", "expected_15m")
    }
    regions = top_regions(service, start=start, end=end, limit=None)
    for region in regions:
        base = expected.get(region["country"])
        region["expected"] = None if base is None else round(base, 1)
        region["ratio"] = None if base is None else region["count"] / max(base, 0.5)
    return regions


def history_reach(
    service: Service, *, country: str = "", before: datetime, enough: int
) -> tuple[datetime | None, bool]:
    """When the series' first counted report was, and whether it had at least `enough`
    reports before `before`. Reads at most `enough` rows (each holds one report or more) from
    the (service, minute) index, so it stays cheap on a service with years of history."""
    counts = ReportCount.objects.filter(
        service_id__in=member_ids([service])[service.pk], minute__lt=before
    )
    counts = counts.filter(country=country) if country else counts
    first = counts.order_by("minute").values_list("minute", flat=True).first()
    seen = sum(counts.order_by("minute").values_list("count", flat=True)[:enough])
    return first, seen >= enough


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


def series_start(now: datetime, *, hours: int, bucket_minutes: int) -> datetime:
    """First bucket of the last `hours`: buckets aligned in UTC, the last one holding `now`."""
    size = timedelta(minutes=bucket_minutes)
    return bucket_start(now, size) - (hours * 60 // bucket_minutes - 1) * size


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


def report_series(
    service: Service, *, now: datetime, hours: int, bucket_minutes: int, country: str = ""
) -> list[Bucket]:
    """Counted reports per bucket over the last `hours`, oldest first, empty buckets as 0; the
    last bucket holds `now` and is still filling."""
    start = series_start(now, hours=hours, bucket_minutes=bucket_minutes)
    return series_between(
        service, start=start, end=now, bucket_minutes=bucket_minutes, country=country
    )


def sparklines(
    services: Iterable[Service], *, now: datetime, hours: int = 24
) -> dict[int, list[int]]:
    """Counted reports per UTC hour over the last `hours` (the last one still filling), per service.

    One grouped query for the whole home page: the roll-up is summed per hour in SQL
    (TruncHour), so the page never pulls minute rows into Python.
    """
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


def recent_comments(service: Service, *, limit: int = 5, per_client: int = 1) -> list:
    """Visible comments on the service (and its children), newest first: of counted reports
    only (a repeat or a capped report is stored but has no voice either), and at most
    `per_client` per client (address or IPv6 /64, whatever its user agents), so one client
    cannot own every slot.

    Served by report_service_recent_idx; moderated ones (comment_hidden) are never read.
    """
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
