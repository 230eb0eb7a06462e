"""The detector on the mentions series: each service's posts saying it is down (mentions/),
scored with the same engine as reports (detection.engine) against their own baseline.

Kept apart from the reports' cycle (detection.services): a mentions verdict never opens an
incident or moves a report Status; it is published as MentionStatus, capped at "possible"
while the service's reports are quiet, because a burst of posts (a joke going viral, a false
friend the rules missed) is weaker evidence than the crowd reporting on the site.

Each cycle fits the baseline on the HISTORY_DAYS before the last SCAN_MINUTES and scans those
minutes from a fresh hysteresis state: no state is carried between cycles, so running a cycle
twice, or after a missed one, gives the same rows.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from common.buckets import epoch_minute
from detection import engine
from mentions.models import MentionStatus
from mentions.selectors import mention_matrix
from outages.models import Level, Service, Status

LEVELS = [Level.OK, Level.POSSIBLE, Level.OUTAGE]
# Two weeks: the engine's time-of-week profile needs a week at least; posts are sparse, so the
# second week halves the noise of each slot. Fit and scan take ~1.3 s for the catalogue.
HISTORY_DAYS = 14
# An hour of minutes replayed through the state machine: long enough for the engine's
# hysteresis to confirm and hold a spike (its rise and fall windows are minutes long).
SCAN_MINUTES = 60


def score_mentions(now: datetime | None = None) -> int:
    """Rewrite every service's MentionStatus as of the last complete minute; returns how
    many services were scored (0 before any mention was stored)."""
    now = now or timezone.now()
    config = engine.EngineConfig()
    span = max(config.scale_buckets(60))
    last = epoch_minute(now) - 1
    first = last - HISTORY_DAYS * 1440 + 1
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    counts = mention_matrix(service_ids=ids, first=first, last=last)
    if not ids or np.isnan(counts[:, -1]).all():
        return 0
    history = counts[:, : counts.shape[1] - SCAN_MINUTES]
    baseline = engine.fit_baseline(history, first * 60, 60, config)
    state = engine.init_state(len(ids))
    level = np.zeros(len(ids), dtype=np.int64)
    score = None
    for minute in range(last - SCAN_MINUTES + 1, last + 1):
        col = minute - first
        recent = np.nan_to_num(counts[:, max(col - span + 1, 0) : col + 1])
        times = (minute - recent.shape[1] + 1 + np.arange(recent.shape[1])) * 60.0
        score = engine.score_window(recent, baseline.expected(times), baseline, config)
        state, level = engine.advance(
            state, score.level_by_scale, baseline.scale_buckets, config, 60
        )
    reports = dict(
        Status.objects.filter(service_id__in=ids, country="").values_list("service_id", "level")
    )
    posts_15m = np.nan_to_num(counts[:, -15:]).sum(axis=1)
    with transaction.atomic():
        for row, service_id in enumerate(ids):
            verdict = int(level[row])
            if reports.get(service_id, Level.OK) == Level.OK:
                verdict = min(verdict, 1)  # posts alone: "possible" at most
            MentionStatus.objects.update_or_create(
                service_id=service_id,
                defaults={
                    "level": LEVELS[verdict],
                    "score": float(score.score[row]),
                    "posts_15m": int(posts_15m[row]),
                    "expected_15m": float(score.expected_15m[row]),
                    "detector_state": [int(x[row]) for x in state],
                    "updated_at": now,
                },
            )
    return len(ids)
