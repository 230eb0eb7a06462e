from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports.fingerprint import purge_salts_before


@shared_task(acks_late=True)
def purge_old_reporter_salts() -> int:
    """Idempotent: deleting already-deleted salts deletes nothing."""
    return purge_salts_before(timezone.now().date())
