"""The benchmark's yardstick (bench/ingest.py): the plainest Django report view.

It validates the same JSON as the real intake and stores each report with one ORM create(),
nothing else (no dedupe claim, no roll-up). Mounted only by bench.settings (bench/urls.py).
"""

from __future__ import annotations

import json
import time

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reports.fingerprint import reporter_fingerprint
from reports.models import Report
from reports.validation import load_catalogue, validate_report

_catalogue: dict = {"at": 0.0, "entries": {}}


@csrf_exempt
@require_POST
def reference_report(request: HttpRequest) -> JsonResponse:
    try:
        data = json.loads(request.body)
    except ValueError as error:
        return JsonResponse({"detail": f"JSON parse error - {error}"}, status=400)
    if time.monotonic() - _catalogue["at"] > 30:
        _catalogue.update(at=time.monotonic(), entries=load_catalogue())
    report, errors = validate_report(data, _catalogue["entries"])
    if errors:
        return JsonResponse(errors, status=400)
    now = timezone.now()
    stored = Report.objects.create(
        service_id=report.service_id,
        problem_type_id=report.problem_type_id,
        country=report.country,
        comment=report.comment,
        reporter=reporter_fingerprint(
            address=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", ""),
            day=now.date(),
        ),
        created_at=now,
    )
    return JsonResponse({"id": stored.pk, "service": report.service_slug}, status=201)
