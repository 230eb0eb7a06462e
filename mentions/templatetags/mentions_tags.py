"""The service page's reports-beside-mentions panel and the incident page's "also seen in N
posts", as inclusion tags (the pages include them with one line each)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

from mentions import selectors
from outages.models import Incident, Service
from reports.selectors import series_between, series_start

register = template.Library()

PANEL_HOURS = 3
PANEL_BUCKET_MINUTES = 15


@register.inclusion_tag("mentions/panel.html")
def mentions_panel(service: Service) -> dict:
    """Reports and posts per 15 minutes over the last 3 hours, newest first, side by side."""
    now = timezone.now()
    start = series_start(now, hours=PANEL_HOURS, bucket_minutes=PANEL_BUCKET_MINUTES)
    reports = series_between(service, start=start, end=now, bucket_minutes=PANEL_BUCKET_MINUTES)
    size = timedelta(minutes=PANEL_BUCKET_MINUTES)
    posts = [0] * len(reports)
    series = selectors.mention_series(service_id=service.pk, since=start, until=now)
    for minute, count in series.items():
        index = int((minute - start) // size)
        if 0 <= index < len(posts):
            posts[index] += count
    most_reports = max([bucket.count for bucket in reports] + [1])
    most_posts = max([*posts, 1])
    rows = [
        {
            "start": bucket.start,
            "reports": bucket.count,
            "posts": count,
            "most_reports": most_reports,
            "most_posts": most_posts,
        }
        for bucket, count in zip(reports, posts, strict=True)
    ]
    return {
        "service": service,
        "mentions": selectors.mention_summaries([service.pk], now)[service.pk],
        "rows": rows[::-1],
        # The side-by-side table only when there is something to set beside the reports:
        # twelve rows of zeros would weigh on every quiet service's page (issue 13's budget).
        "any_posts": any(posts),
    }


@register.inclusion_tag("mentions/incident_posts.html")
def incident_mention_posts(incident: Incident) -> dict:
    return {
        "posts": selectors.incident_mention_posts(
            service_id=incident.service_id,
            started_at=incident.started_at,
            ended_at=incident.ended_at,
        )
    }
