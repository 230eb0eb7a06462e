"""Data lifecycle: what is kept how long, deleted or coarsened in bounded batches by a periodic
task (config/celery.py, `apply-retention`), so no table grows with the site's age.

- Raw reports: kept REPORT_RETENTION_DAYS (30), then deleted. Nothing reads them after that:
  every count is in the roll-up, and comments older than a month are moderation history.
- The per-minute roll-up (ReportCount): minute rows older than the detector's history
  (DETECTION_HISTORY_DAYS, 42: the longest any fit or the 30-day graph reads minutes), and
  already covered by the hourly roll-up (HourlyReportCount, filled by
  reports.services.hourly_counts_roll_up), are coarsened in place to one row per hour and
  problem type (at the hour's first minute, with the hour's sum). The problem types are kept
  (HourlyReportCount sums over them), so an old incident's page still shows its problem mix.
  Every reader sums rows over a time range, so hourly and longer buckets are unchanged, and a
  re-aggregation of a coarsened hour gives the same number. RollupCoarsening remembers how
  far it got, so each run starts where the last stopped.
- Dedupe and counting-cap windows older than a day, and salts older than yesterday, were
  already deleted daily (reports.tasks.purge_old_reporter_salts); they are now batched too.

Deleting by rows (not dropping monthly partitions) keeps one schema for PostgreSQL and SQLite
and needs no partition management; each batch is its own short transaction, so the intake
never waits long on a lock, and each run is capped so it ends well before the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncHour

from common.buckets import bucket_start
from reports.models import (
    AddressWindow,
    HourlyReportCount,
    Report,
    ReportCount,
    ReporterWindow,
    RollupCoarsening,
)

# Rows per delete: small enough that one batch holds its locks for milliseconds, large enough
# that the per-statement overhead is negligible.
BATCH_SIZE = 5_000
# Batches per run and table: 100 x 5,000 = 500,000 reports an hour (12 M a day), more than the
# intake's sustained ceiling would store in a day of a worldwide storm.
MAX_BATCHES = 100
# Hours coarsened per run: a day's worth, so a backlog (a year of history on the first run)
# is worked off a day per hourly run while the steady state needs one hour per run.
MAX_HOURS = 24
# Hours per transaction: a quarter of a day's rows, so one transaction stays short.
CHUNK_HOURS = 6
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class RetentionRun:
    reports_deleted: int
    hours_coarsened: int
    minute_rows_replaced: int
    windows_deleted: int


def apply_retention(now: datetime) -> RetentionRun:
    reports = delete_in_batches(
        Report.objects.filter(created_at__lt=now - timedelta(days=settings.REPORT_RETENTION_DAYS))
    )
    hours, replaced = coarsen_report_counts(now)
    day_ago = now - timedelta(days=1)
    windows = delete_in_batches(ReporterWindow.objects.filter(counted_at__lt=day_ago))
    windows += delete_in_batches(AddressWindow.objects.filter(window_start__lt=day_ago))
    return RetentionRun(reports, hours, replaced, windows)


def delete_in_batches(queryset: QuerySet, *, max_batches: int = MAX_BATCHES) -> int:
    """Delete what `queryset` selects, BATCH_SIZE rows per transaction, at most max_batches."""
    deleted = 0
    for _ in range(max_batches):
        # No ORDER BY: any BATCH_SIZE matching rows, straight off the index the filter uses.
        ids = list(queryset.order_by().values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            break
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < BATCH_SIZE:
            break
    return deleted


def coarsen_report_counts(now: datetime, *, max_hours: int = MAX_HOURS) -> tuple[int, int]:
    """Replace minute rows older than the detection history by one row per hour, up to
    CHUNK_HOURS hours per transaction; returns the hours coarsened and the minute rows they
    replaced."""
    cutoff = bucket_start(now - timedelta(days=settings.DETECTION_HISTORY_DAYS), HOUR)
    # Only hours the hourly roll-up has covered: it recomputes its last hour on each run, so
    # the hours before that one. (Its sums are the same either way: coarsening keeps them.)
    rolled_up = HourlyReportCount.objects.order_by("-hour").values_list("hour", flat=True).first()
    if rolled_up is None:
        return 0, 0
    cutoff = min(cutoff, rolled_up)
    hours = replaced = 0
    while hours < max_hours:
        with transaction.atomic():
            progress, _ = RollupCoarsening.objects.select_for_update().get_or_create(
                pk=1, defaults={"coarsened_before": datetime(1970, 1, 1, tzinfo=UTC)}
            )
            # The oldest minute not yet coarsened (the minute index serves this).
            oldest = (
                ReportCount.objects.filter(minute__gte=progress.coarsened_before, minute__lt=cutoff)
                .order_by("minute")
                .values_list("minute", flat=True)
                .first()
            )
            if oldest is None:
                progress.coarsened_before = max(progress.coarsened_before, cutoff)
                progress.save(update_fields=["coarsened_before"])
                break
            start = bucket_start(oldest, HOUR)
            end = min(start + min(CHUNK_HOURS, max_hours - hours) * HOUR, cutoff)
            replaced += _coarsen(start, end)
            progress.coarsened_before = end
            progress.save(update_fields=["coarsened_before"])
            hours += (end - start) // HOUR
    return hours, replaced


def _coarsen(start: datetime, end: datetime) -> int:
    """One row per hour and cell in [start, end), holding the sum of its minute rows."""
    cells = ReportCount.objects.filter(minute__gte=start, minute__lt=end)
    sums = list(
        cells.annotate(hour=TruncHour("minute", tzinfo=UTC))
        .values("service_id", "country", "problem_type_id", "hour")
        .order_by()
        .annotate(total=Sum("count"))
    )
    replaced = cells.delete()[0]
    ReportCount.objects.bulk_create(
        [
            ReportCount(
                service_id=cell["service_id"],
                country=cell["country"],
                problem_type_id=cell["problem_type_id"],
                minute=cell["hour"],
                count=cell["total"],
            )
            for cell in sums
        ],
        batch_size=BATCH_SIZE,
    )
    return replaced
