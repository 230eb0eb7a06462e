"""The mentions' writes: the ingesters' counts with their cursor, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django_countries import countries

from mentions.models import IngestCursor, MentionCount
from mentions.tally import Counts
from outages.models import Service


def service_ids() -> dict[str, int]:
    """slug -> id of every service (the rules name services by slug)."""
    return dict(Service.objects.values_list("slug", "id"))


def mentions_record(
    *,
    source: str,
    counts: Counts,
    position: int,
    read_until: float,
    services: dict[str, int],
    now: datetime | None = None,
) -> None:
    """Add `counts` to MentionCount and move `source`'s cursor to `position`, atomically: a
    crash before the commit loses neither, a crash after it cannot count a post twice (the
    ingester resumes after the cursor). `read_until`: epoch seconds of the post at `position`.
    Services missing from `services` (deleted by an operator) are skipped."""
    now = now or timezone.now()
    rows = [
        (
            services[slug],
            source,
            country if country in countries else "",  # a region subtag may be no country
            datetime.fromtimestamp(minute * 60, UTC),
            count,
        )
        for (slug, country, minute), count in counts.items()
        if slug in services and count > 0
    ]
    table = MentionCount._meta.db_table
    with transaction.atomic():
        if rows:
            with connection.cursor() as cursor:
                # The same statement on PostgreSQL and SQLite (>= 3.24): add, never replace.
                cursor.executemany(
                    f"INSERT INTO {table} (service_id, source, country, minute, count) "
                    "VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (service_id, minute, country, source) "
                    f"DO UPDATE SET count = {table}.count + excluded.count",
                    rows,
                )
        IngestCursor.objects.update_or_create(
            source=source,
            defaults={
                "position": position,
                "read_until": datetime.fromtimestamp(read_until, UTC),
                "updated_at": now,
            },
        )
