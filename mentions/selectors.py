"""The mentions' reads: cursors and freshness (for /readyz), and counts per service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

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
