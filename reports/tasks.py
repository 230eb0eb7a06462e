from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports.fingerprint import purge_salts_before
from reports.retention import apply_retention
from reports.services import hourly_counts_roll_up, purge_dedupe_windows


@shared_task(acks_late=True)
def purge_old_reporter_salts() -> int:
    """Idempotent: deleting already-deleted salts and windows deletes nothing."""
    now = timezone.now()
    return purge_salts_before(now.date()) + purge_dedupe_windows(now)


# Safe under acks_late: each run recomputes whole hours from the minute rows (same result).
@shared_task(acks_late=True)
def roll_up_hourly_counts() -> int:
    return hourly_counts_roll_up()


@shared_task(acks_late=True)
def apply_retention_policy() -> dict:
    """Idempotent: a repeated run finds less (or nothing) left to delete or coarsen."""
    return apply_retention(timezone.now()).__dict__
