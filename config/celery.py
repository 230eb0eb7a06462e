"""The Celery app and, in one place, every periodic task with its cadence."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("opendown")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Detection is the heartbeat: its cycle has a queue and a worker of its own (bin/serve,
# docker-compose.yml, bench/scaleout.py start one with `-Q detection`), so it never waits
# behind work that waits on someone else's server. That work (webhook deliveries and their
# verification, polls of official status pages) has the `outbound` queue; everything else
# (roll-ups, refits, retention, dumps) stays on Celery's default queue. A worker started
# without -Q (`make run`, `make worker`) consumes all three.
DETECTION_QUEUE, OUTBOUND_QUEUE, OFFICIAL_QUEUE = "detection", "outbound", "official"
# Each queue bound by its own name, so a message routed to one can only land in that one.
app.conf.task_queues = tuple(
    Queue(name, routing_key=name)
    for name in ("celery", DETECTION_QUEUE, OUTBOUND_QUEUE, OFFICIAL_QUEUE)
)
app.conf.task_default_queue = "celery"
app.conf.task_routes = {
    "detection.tasks.detect_spikes": {"queue": DETECTION_QUEUE},
    "alerts.tasks.*": {"queue": OUTBOUND_QUEUE},
    # Polls of vendors' status pages: a queue of their own (issue 27), consumed by the
    # outbound workers, so a wave of webhooks never delays an official status.
    "official.tasks.*": {"queue": OFFICIAL_QUEUE},
}

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
    # failing ones backing off), on the `official` queue: it waits on vendors' servers, so it
    # never shares a queue with detection (each fetch has a total deadline, official.fetching).
    "poll-official-pages": {
        "task": "official.tasks.poll_official_pages",
        "schedule": 60.0,
        "options": {"expires": 55, "queue": "official"},
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
