"""The Celery app and, in one place, every periodic task with its cadence."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("opendown")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry expires before its next run, so a backed-up queue never runs a cycle twice.
app.conf.beat_schedule = {
    # Every minute: score the latest counts, move states, open and close incidents.
    "detect-spikes": {
        "task": "detection.tasks.detect_spikes",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: the mentions series (posts saying a service is down) through the same engine.
    "score-mentions": {
        "task": "detection.tasks.score_mentions",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Hourly, before the refit: sum the last complete hour's minute counts into the hourly
    # roll-up the refit reads months of history from (the refit also catches up if it lags).
    "roll-up-hourly-counts": {
        "task": "reports.tasks.roll_up_hourly_counts",
        "schedule": crontab(minute=2),
        "options": {"expires": 50 * 60},
    },
    # Hourly: relearn every series' typical volume per time of week.
    "refresh-baselines": {
        "task": "detection.tasks.refresh_baselines",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
    # Hourly, after the refit: close incidents of series the detector stopped scoring.
    "close-orphaned-incidents": {
        "task": "detection.tasks.close_orphaned_incidents",
        "schedule": crontab(minute=17),
        "options": {"expires": 50 * 60},
    },
    # Hourly: delete reports past REPORT_RETENTION_DAYS, coarsen minute roll-ups older than
    # the detector's history to hourly rows, drop old dedupe windows (bounded batches).
    "apply-retention": {
        "task": "reports.tasks.apply_retention_policy",
        "schedule": crontab(minute=37),
        "options": {"expires": 50 * 60},
    },
    # Every minute: send due alerts and retry failed ones whose backoff has passed (new
    # alerts are also sent at once, after the detector's commit).
    "deliver-alerts": {
        "task": "alerts.tasks.deliver_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: poll the official status pages that are due (each every 5 minutes,
    # failing ones backing off).
    "poll-official-pages": {
        "task": "official.tasks.poll_official_pages",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Daily, after midnight UTC: yesterday's open-data dump (counts) and all incidents.
    "dump-open-data": {
        "task": "opendata.tasks.dump_open_data",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 60 * 60},
    },
    # Daily: forget yesterday's reporter salts, so stored fingerprints cannot be linked again.
    "rotate-reporter-salts": {
        "task": "reports.tasks.purge_old_reporter_salts",
        "schedule": crontab(hour=0, minute=5),
        "options": {"expires": 60 * 60},
    },
}
