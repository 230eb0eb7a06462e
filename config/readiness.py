"""/readyz: ready means the answers served are current, not just that the database answers
(/healthz). It fails (503) when the detection cycle or the baselines have fallen behind, so a
stalled beat or a dead worker pool pages someone instead of every page quietly saying "no
current problems"."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from detection.selectors import detection_freshness
from mentions.selectors import ingest_freshness

log = logging.getLogger(__name__)


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        freshness = detection_freshness()
        # Only the enabled ingesters (mentions.selectors.enabled_sources); none in tests.
        ingesters = ingest_freshness()
    except DatabaseError:
        # Which check failed, never the error's text: a public answer must not carry the
        # database's host, user or SQL (issue 25). The log keeps the details for operators.
        log.exception("readyz: the database check failed")
        return JsonResponse({"status": "error", "failed": ["database"]}, status=503)
    failed = [
        name
        for name, behind in (
            ("detection", freshness.detection_behind),
            ("baselines", freshness.baselines_behind),
            *((f"ingest-{ingester.source}", ingester.behind) for ingester in ingesters),
        )
        if behind
    ]
    ready = not failed
    return JsonResponse(
        {
            "status": "ok" if ready else "behind",
            "failed": failed,
            "detected_at": freshness.detected_at,
            "detection_behind": freshness.detection_behind,
            "baselines_at": freshness.baselines_at,
            "baselines_behind": freshness.baselines_behind,
            "ingesters": [
                {
                    "source": ingester.source,
                    "read_until": ingester.read_until,
                    "written_at": ingester.updated_at,
                    "behind": ingester.behind,
                }
                for ingester in ingesters
            ],
        },
        status=200 if ready else 503,
    )
