from __future__ import annotations

from celery import shared_task

from official import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def poll_official_pages() -> int:
    """Poll the official status pages that are due (each every few minutes, failing ones
    backing off). Idempotent: incidents are upserted by the page's own ids."""
    services.ensure_loaded()
    return services.poll_due()
