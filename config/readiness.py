"""/readyz: ready means the answers served are current, not just that the database answers
(/healthz). It fails (503) when the detection cycle or the baselines have fallen behind, so a
stalled beat or a dead worker pool pages someone instead of every page quietly saying "no
current problems"."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from detection.selectors import detection_freshness
from mentions.selectors import ingest_freshness


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        freshness = detection_freshness()
        # Only the enabled ingesters (mentions.selectors.enabled_sources); none in tests.
        ingesters = ingest_freshness()
    except DatabaseError as error:
        return JsonResponse({"status": "error", "database": str(error)[:200]}, status=503)
    ready = not (
        freshness.detection_behind
        or freshness.baselines_behind
        or any(ingester.behind for ingester in ingesters)
    )
    return JsonResponse(
        {
            "status": "ok" if ready else "behind",
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
