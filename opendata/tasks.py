from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from opendata import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dump_open_data() -> None:
    """Yesterday's counts and all incidents as gzip'd CSV; a re-run rewrites the same files."""
    services.dump_day(services.yesterday(timezone.now()))
