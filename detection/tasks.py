"""Thin Celery wrappers; the beat schedule that runs them is in config/celery.py."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import DatabaseError

from detection import mentions, services


# Safe under acks_late: a redelivered cycle finds the cursor already moved and scores nothing.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=3)
def detect_spikes() -> int:
    return services.detect_spikes()


# Safe under acks_late: a refit of the same history writes the same arrays, and a refit at the
# same instant replaces the fit instead of adding one. `at` (ISO 8601) fits as of that minute.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=30, max_retries=3)
def refresh_baselines(at: str | None = None) -> int:
    return services.refresh_baselines(datetime.fromisoformat(at) if at else None)


# Safe under acks_late: closing already-closed incidents changes nothing.
@shared_task(acks_late=True)
def close_orphaned_incidents() -> int:
    return services.close_orphaned_incidents()


# Safe under acks_late: each cycle rescans the last hour from a fresh state (same rows twice).
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=3)
def score_mentions() -> int:
    return mentions.score_mentions()
