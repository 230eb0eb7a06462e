"""Thin Celery wrappers; the beat schedule that runs them is in config/celery.py."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from detection import services


# Safe under acks_late: a redelivered cycle finds the cursor already moved and scores nothing.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=3)
def detect_spikes() -> int:
    return services.detect_spikes()


# Safe under acks_late: a refit of the same history writes the same arrays.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=30, max_retries=3)
def refresh_baselines() -> int:
    return services.refresh_baselines()


# Safe under acks_late: closing already-closed incidents changes nothing.
@shared_task(acks_late=True)
def close_orphaned_incidents() -> int:
    return services.close_orphaned_incidents()
