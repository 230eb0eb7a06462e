"""The mentions' reads: cursors and freshness (for /readyz), and counts per service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from common.buckets import epoch_minute, from_epoch_minute
from mentions.models import IngestCursor, MentionCount, MentionStatus, Source

# An ingester writes its cursor every few seconds while connected (mentions.tally.Tally
# flushes every 5 s): two minutes without a write is a dead or disconnected ingester, not a
# slow one (its reconnects back off to a minute at most).
SILENT_AFTER = timedelta(minutes=2)
# Jetstream carries tens of posts a second: the last post read being ten minutes old means the
# ingester is replaying a backlog, and counts of the last minutes are not in yet.
LAGGING_AFTER = timedelta(minutes=10)


def ingest_position(source: str) -> int | None:
    return IngestCursor.objects.filter(source=source).values_list("position", flat=True).first()


def enabled_sources() -> list[str]:
    sources = []
    if settings.JETSTREAM_URL:
        sources.append(Source.BLUESKY)
    if settings.MASTODON_STREAMING_URL:
        sources.append(Source.MASTODON)
    return sources


@dataclass(frozen=True)
class IngestFreshness:
    source: str
    read_until: datetime | None
    updated_at: datetime | None
    behind: bool


def ingest_freshness(now: datetime | None = None) -> list[IngestFreshness]:
    """Each enabled source: how far it has read and whether it is behind (never written,
    silent for SILENT_AFTER, or, for Jetstream, reading posts LAGGING_AFTER old)."""
    now = now or timezone.now()
    cursors = {cursor.source: cursor for cursor in IngestCursor.objects.all()}
    result = []
    for source in enabled_sources():
        cursor = cursors.get(source)
        if cursor is None:
            result.append(IngestFreshness(source, None, None, True))
            continue
        behind = now - cursor.updated_at > SILENT_AFTER or (
            # A Mastodon server's public timeline can be quiet for minutes: only its
            # heartbeat-driven writes tell whether it is alive.
            source == Source.BLUESKY and now - cursor.read_until > LAGGING_AFTER
        )
        result.append(IngestFreshness(source, cursor.read_until, cursor.updated_at, behind))
    return result


def mention_posts(*, service_ids: list[int], since: datetime, until: datetime) -> dict[int, int]:
    """Posts per service (all sources and countries) in [since, until)."""
    rows = (
        MentionCount.objects.filter(service_id__in=service_ids, minute__gte=since, minute__lt=until)
        .values("service_id")
        .annotate(total=Sum("count"))
    )
    return {row["service_id"]: row["total"] for row in rows}


def mention_series(*, service_id: int, since: datetime, until: datetime) -> dict[datetime, int]:
    """Posts per minute of one service in [since, until); minutes without posts are absent."""
    rows = (
        MentionCount.objects.filter(service_id=service_id, minute__gte=since, minute__lt=until)
        .values("minute")
        .annotate(total=Sum("count"))
        .order_by("minute")
    )
    return {row["minute"]: row["total"] for row in rows}


def mention_statuses(service_ids: list[int]) -> dict[int, MentionStatus]:
    return {s.service_id: s for s in MentionStatus.objects.filter(service_id__in=service_ids)}


def mention_matrix(*, service_ids: list[int], first: int, last: int) -> np.ndarray:
    """Posts per service (rows, in `service_ids` order) and epoch minute `first`..`last`
    (columns), all sources and countries. Minutes before the first mention ever stored are
    NaN (not observed: no ingester was running); later minutes without a row are 0."""
    matrix = np.zeros((len(service_ids), last - first + 1))
    earliest = MentionCount.objects.order_by("minute").values_list("minute", flat=True).first()
    if earliest is None:
        matrix[:] = np.nan
        return matrix
    observed_from = epoch_minute(earliest) - first
    if observed_from > 0:
        matrix[:, :observed_from] = np.nan
    row_of = {service_id: row for row, service_id in enumerate(service_ids)}
    rows = (
        MentionCount.objects.filter(
            service_id__in=service_ids,
            minute__gte=from_epoch_minute(first),
            minute__lte=from_epoch_minute(last),
        )
        .values_list("service_id", "minute")
        .annotate(total=Sum("count"))
    )
    for service_id, minute, total in rows:
        matrix[row_of[service_id], epoch_minute(minute) - first] += total
    return matrix


def mention_summaries(service_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """Per service: the mentions object of the API (state, posts in the last 15 minutes and
    hour, the baseline for 15 minutes, when the state was computed), in two queries."""
    now = now or timezone.now()
    hour = mention_posts(service_ids=service_ids, since=now - timedelta(hours=1), until=now)
    quarter = mention_posts(service_ids=service_ids, since=now - timedelta(minutes=15), until=now)
    statuses = mention_statuses(service_ids)
    summaries = {}
    for service_id in service_ids:
        status = statuses.get(service_id)
        summaries[service_id] = {
            "state": status.level if status else "ok",
            "posts_last_15m": quarter.get(service_id, 0),
            "posts_last_hour": hour.get(service_id, 0),
            "expected_15m": status.expected_15m if status else None,
            "scored_at": status.updated_at if status else None,
        }
    return summaries


def incident_mention_posts(
    *, service_id: int, started_at: datetime, ended_at: datetime | None
) -> int:
    """Posts saying the service is down while an incident lasted ("also seen in N posts")."""
    until = ended_at or timezone.now()
    found = mention_posts(
        service_ids=[service_id], since=started_at, until=until + timedelta(minutes=1)
    )
    return found.get(service_id, 0)
