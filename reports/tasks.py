from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports.fingerprint import purge_salts_before
from reports.services import purge_dedupe_windows


@shared_task(acks_late=True)
def purge_old_reporter_salts() -> int:
    """Idempotent: deleting already-deleted salts and windows deletes nothing."""
    now = timezone.now()
    return purge_salts_before(now.date()) + purge_dedupe_windows(now)
