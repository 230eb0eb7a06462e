from __future__ import annotations

from celery import shared_task

from alerts import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_due() -> int:
    """Send the due alerts. Safe to run twice or concurrently: each row is claimed first."""
    return services.deliver_due()
