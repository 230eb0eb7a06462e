"""The HTML pages: home, service, incident, and the status badge (feeds are in feeds.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from common.buckets import bucket_start, window_start
from detection.selectors import (
    ChartPoint,
    baseline_learnt,
    detection_freshness,
    series_with_band,
)
from outages import selectors
from outages.models import Category, Incident, Level, Service
from reports import selectors as counts
from reports.forms import ReportForm, country_from_accept_language
from web import badges, charts, tilemap
from web.filters import ServiceFilter
from web.page_cache import NotCanonical, cached_page

GRAVITY = {Level.OUTAGE: 0, Level.POSSIBLE: 1, Level.OK: 2}
# The graph's ranges: (key, hours, bucket). The 24 h one is embedded in the page for first paint.
RANGES = [("1h", 1, "5m"), ("2h", 2, "1m"), ("24h", 24, "15m"), ("7d", 168, "1h"),
          ("30d", 720, "1h")]  # fmt: skip


@cached_page(params=("category", "country", "q"))
def home(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    country = request.GET.get("country", "")
    query = request.GET.get("q", "").strip()
    # The country filter offers only countries some service is popular in.
    used = {c.code for s in Service.objects.only("countries") for c in s.countries}
    # A category or country the filter does not offer (a stale link, a typo, junk) is the
    # canonical page without it: one cached copy, not one per value (web.page_cache).
    known = {
        "category": category if category in Category.values else "",
        "country": country.upper() if country.upper() in used else "",
    }
    if (category, country) != (known["category"], known["country"]):
        raise NotCanonical(**known, q=request.GET.get("q", ""))
    # The API's filter: a value it does not know (a stale link's category) is ignored.
    filtered = ServiceFilter(
        {
            name: value
            for name, value in (("category", category), ("country", country), ("search", query))
            if value
        },
        queryset=selectors.service_list(),
    )
    services = list(filtered.qs)
    now = timezone.now()
    last_hour = counts.report_totals(services, start=window_start(now, 60), end=now)
    lines = counts.sparklines(services, now=now)
    for service in services:
        service.reports_last_hour = last_hour[service.pk]
        service.sparkline, service.sparkline_now = charts.sparkline_parts(
            hourly_rate(lines[service.pk], now)
        )
    services.sort(key=lambda s: (GRAVITY[s.level], -s.reports_last_hour, s.name))
    groups = [
        (level, level.label, [s for s in services if s.level == level])
        for level in (Level.OUTAGE, Level.POSSIBLE, Level.OK)
    ]
    context = {
        "groups": groups,
        "services": services,
        "incident_groups": selectors.active_incident_groups(services),
        "categories": Category.choices,
        "countries": sorted(((code, countries.name(code)) for code in used), key=lambda c: c[1]),
        "category": category,
        "country": country,
        "q": query,
        "now": now,
        "freshness": detection_freshness(now),
    }
    return render(request, "outages/home.html", context)


def hourly_rate(hours: list[int], now: datetime) -> list[float]:
    """Hourly counts with the current, still filling hour scaled up to a full hour.

    Otherwise every sparkline would end in a drop a few minutes past the hour.
    """
    elapsed = now.minute + now.second / 60
    return [*hours[:-1], hours[-1] * 60 / max(elapsed, 5)] if hours else hours


@cached_page(params=("history", "country"))
def service_page(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(selectors.service_list(), slug=slug)
    return render_service_page(request, service)


def render_service_page(
    request: HttpRequest, service: Service, *, form: ReportForm | None = None, status: int = 200
) -> HttpResponse:
    """The service page; `service` comes from selectors.service_list() (it carries `level`)."""
    now = timezone.now()
    last_hour = window_start(now, 60)
    if form is None:
        # Only a region the request names ("en-IN") preselects a country; otherwise the visitor
        # picks one (the page's script restores an earlier pick from the browser's storage).
        form = ReportForm(
            service=service,
            initial={
                "country": country_from_accept_language(request.headers.get("Accept-Language", ""))
            },
        )
    children = list(selectors.service_list().filter(parent=service))
    if children:
        child_totals = counts.report_totals(children, start=last_hour, end=now)
        child_lines = counts.sparklines(children, now=now)
        for child in children:
            child.reports_last_hour = child_totals[child.pk]
            child.sparkline, child.sparkline_now = charts.sparkline_parts(
                hourly_rate(child_lines[child.pk], now)
            )
    regions = counts.region_heat(service, start=last_hour, end=now)
    country_choices = country_options(service, regions)
    # The per-country view (?country=GB): its own status, counts, problems and graph.
    asked_country = request.GET.get("country")
    country = (asked_country or "").upper()
    country = country if country in dict(country_choices) else ""
    history = request.GET.get("history")
    incidents = selectors.incident_history_page(service, page=history, country=country)
    # Only real values make pages of their own (web.page_cache): a country the page does not
    # offer, "x", 0, 9999 or "1" as a history page redirect to the canonical page they show.
    canonical = str(incidents.number) if incidents.number > 1 else None
    if (history != canonical or (asked_country or None) != (country or None)) and (
        request.method in ("GET", "HEAD")
    ):
        raise NotCanonical(history=canonical, country=country)
    active = selectors.active_incident(service, country=country)
    status_row = selectors.global_status(service, country=country)
    top_problems = counts.top_problems(
        service, start=last_hour, end=now, by="problem", country=country
    )
    if country:
        level = status_row.level if status_row else Level.OK
        reports_hour = counts.country_total(service, country, start=last_hour, end=now)
        reports_15m = counts.country_total(service, country, start=window_start(now, 15), end=now)
    else:
        level = service.level
        reports_hour = counts.report_totals([service], start=last_hour, end=now)[service.pk]
        reports_15m = counts.report_totals([service], start=window_start(now, 15), end=now)[
            service.pk
        ]
    calendar = incident_calendar(
        selectors.incident_days(service, since=now - CALENDAR_DAYS, country=country),
        today=now.date(),
    )
    context = {
        "service": service,
        "level": level,
        "country": country,
        "country_name": countries.name(country) if country else "",
        "country_choices": country_choices,
        "children": children,
        "status": status_row,
        "baseline_learnt": baseline_learnt(service.pk, country),
        # When the current level began: the status row knows; an open incident is the fallback.
        "since": (status_row and status_row.since) or (active and active.started_at),
        "reports_last_hour": reports_hour,
        "reports_last_15m": reports_15m,
        "top_problems": top_problems,
        # The one line under the headline: what fails and where, above the fold on a phone.
        "summary_problems": top_problems[:2],
        "summary_regions": [] if country else regions[:3],
        # A parent's share per child service, shown under its own heading beside the problems.
        "top_children": children
        and counts.top_problems(service, start=last_hour, end=now, by="service"),
        "regions": regions[:10],
        "tiles": tilemap.tiles(regions),
        "map_size": (tilemap.COLUMNS * tilemap.TILE, tilemap.ROWS * tilemap.TILE),
        "active_incident": active,
        "incidents": incidents,
        "calendar": calendar,
        # The calendar's words: the days with incidents, newest first, each a link.
        "calendar_days": [cell for cell in reversed(calendar) if cell["count"]],
        "comments": counts.recent_comments(service),
        **_chart_context(service, now, country=country),
        "ranges": RANGES,
        "js_strings": chart_strings(service),
        "form": form,
        "freshness": detection_freshness(now),
    }
    return render(request, "outages/service.html", context, status=status)


# The uptime calendar: 13 whole weeks, about a quarter, as status pages show (90 days).
CALENDAR_DAYS = timedelta(weeks=13)


def country_options(service: Service, regions: list[dict]) -> list[tuple[str, str]]:
    """The countries a visitor may pick: where the service is popular, and where reports came
    from in the last hour; sorted by name in the page's language."""
    codes = {c.code for c in service.countries} | {r["country"] for r in regions if r["country"]}
    return sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1])


def incident_calendar(days: dict, *, today: date) -> list[dict]:
    """One cell per day of the last CALENDAR_DAYS, oldest first, Monday-aligned: the day's
    worst severity ("outage", "possible" or "ok") and how many incidents started or ran."""
    first = today - timedelta(days=CALENDAR_DAYS.days - 1)
    first -= timedelta(days=first.weekday())
    cells = []
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        found = days.get(day)
        cells.append(
            {
                "day": day,
                "level": found["level"] if found else "ok",
                "count": found["count"] if found else 0,
                "first": found["first"] if found else None,
            }
        )
    return cells


def chart_strings(service: Service) -> dict[str, str]:
    """Translated words the page's scripts need (tooltip, live headline, bucket notes)."""
    return {
        "reports": _("Reports"),
        "typical": _("Typical"),
        "threshold": _("Alert threshold"),
        "incident": _("Incident"),
        "chart": _("chart"),
        "chart_name": _("Reports over time"),
        "so_far": _("So far"),
        "so_far_short": _("so far"),
        "so_far_detail": _(
            "%(count)s in %(minutes)s of %(of)s min; at this pace %(pace)s for the whole bucket"
        ),
        "so_far_early": _(
            "%(count)s in the first %(minutes)s of %(of)s min; too early to project the bucket"
        ),
        "log_note": _("Logarithmic scale, so the normal range stays visible."),
        "log_note_ratio": _(
            "Reports are up to %(ratio)s times the alert threshold: the scale is logarithmic, "
            "so the normal range stays visible."
        ),
        "outage": _("User reports indicate problems at %(name)s") % {"name": service.name},
        "possible": _("User reports indicate possible problems at %(name)s")
        % {"name": service.name},
        "ok": _("User reports indicate no current problems at %(name)s") % {"name": service.name},
        "1h": _("Reports per 5 minutes, last hour, in your time zone."),
        "2h": _("Reports per minute, last 2 hours, in your time zone."),
        "24h": _("Reports per 15 minutes, last 24 hours, in your time zone."),
        "168h": _("Reports per hour, last 7 days, in your time zone."),
        "720h": _("Reports per hour, last 30 days, in your time zone."),
        # The status's age, as outages_tags.since and outages/_freshness.html write it.
        "under_1_min": _("under 1 min"),
        "min": _("%(m)d min"),
        "h_min": _("%(h)d h %(m)02d min"),
        "days_h": _("%(d)d days %(h)d h"),
        "updated": _("Status updated %(ago)s ago"),
        "behind": _(
            "Detection is behind: this status was last updated %(ago)s ago and may be out of date."
        ),
    }


def _series_context(
    points: list[ChartPoint], *, now: datetime, bucket_minutes: int
) -> tuple[list[list], list[dict]]:
    """The series as the chart's JSON points and as the server-rendered table (newest first).

    The table is what a visitor without JavaScript gets; its last row, still filling, says so.
    """
    size = timedelta(minutes=bucket_minutes)
    rows = [
        {"start": p.start, "count": p.count, "baseline": p.baseline, "threshold": p.threshold,
         "partial": p.start + size > now}
        for p in points
    ]  # fmt: skip
    chart = [[int(p.start.timestamp()), p.count, p.baseline, p.threshold] for p in points]
    return chart, rows[::-1]


def _chart_context(service: Service, now: datetime, *, country: str = "") -> dict:
    """The 24 h series with its band and 30 days of incident periods, embedded as JSON."""
    start = counts.series_start(now, hours=24, bucket_minutes=15)
    series = series_with_band(service, start=start, end=now, bucket_minutes=15, country=country)
    periods = selectors.incident_periods(service, since=now - timedelta(days=30), country=country)
    points, rows = _series_context(series, now=now, bucket_minutes=15)
    return {
        "chart": {
            "slug": service.slug,
            "country": country,
            # The server's clock: the chart tells the filling bucket by it, not the visitor's.
            "now": now.timestamp(),
            "points": points,
            "incidents": [
                [int(start.timestamp()), int(end.timestamp()) if end else None]
                for start, end in periods
            ],
        },
        "series_rows": rows,
    }


@cached_page
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("service"), pk=pk)
    now = timezone.now()
    end = min(now, (incident.ended_at or now) + timedelta(hours=3))
    start = incident.started_at - timedelta(hours=3)
    # 15-minute buckets (the detector's unit) unless the window is long enough to crowd them.
    bucket = 15 if end - start <= timedelta(hours=48) else 60
    # The last bucket whole (its last minute), not cut short "3 hours after", which would draw
    # a drop; only the bucket filling now stays partial, and the chart says so.
    size = timedelta(minutes=bucket)
    end = min(now, bucket_start(end, size) + size - timedelta(minutes=1))
    series = series_with_band(
        incident.service, start=start, end=end, bucket_minutes=bucket, country=incident.country
    )
    points, rows = _series_context(series, now=now, bucket_minutes=bucket)
    mix_bucket = 60 if end - start <= timedelta(hours=48) else 360
    mix_starts, mix = counts.problem_mix_series(
        incident.service, start=start, end=end, bucket_minutes=mix_bucket
    )
    # The bucket still filling (the current hour) is drawn and listed as such, not as a drop.
    mix_size = timedelta(minutes=mix_bucket)
    mix_partial = next((i for i, at in enumerate(mix_starts) if at + mix_size > now), None)
    context = {
        "incident": incident,
        "service": incident.service,
        "duration": (incident.ended_at or now) - incident.started_at,
        "related": selectors.related_incidents(incident),
        "bucket": bucket,
        "js_strings": chart_strings(incident.service),
        "series_rows": rows,
        "chart": {
            "slug": incident.service.slug,
            "now": now.timestamp(),
            "points": points,
            "incidents": [
                [
                    int(incident.started_at.timestamp()),
                    int(incident.ended_at.timestamp()) if incident.ended_at else None,
                ]
            ],
        },
        "mix": mix,
        "mix_rows": [
            {"start": at, "counts": [m["counts"][i] for m in mix], "partial": i == mix_partial}
            for i, at in enumerate(mix_starts)
        ],
        "mix_bars": charts.stacked_bars(len(mix_starts), [m["counts"] for m in mix]),
        "mix_bucket": mix_bucket,
        "mix_partial": mix_partial,
        "mix_ticks": charts.axis_ticks(mix_starts),
    }
    return render(request, "outages/incident.html", context)


@cached_page(browser_seconds=60)
def badge(request: HttpRequest, slug: str) -> HttpResponse:
    """An embeddable SVG status badge; cached a minute, as often as detection runs."""
    service = get_object_or_404(selectors.service_list(), slug=slug)
    svg = badges.status_badge(service.name, Level(service.level))
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
