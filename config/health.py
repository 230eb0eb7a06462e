from __future__ import annotations

import logging

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

# A load balancer's probe waits for an answer about this long; a database slower than this
# (down, or the catalogue locked) is unhealthy.
HEALTH_TIMEOUT_MS = 2000


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query within the statement timeout, 503 otherwise: for
    load balancers and compose. The error goes to the log, never to the (public) answer."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL statement_timeout = {HEALTH_TIMEOUT_MS}")
            # A table every report needs, not just "SELECT 1": a lock on it is unhealthy too.
            cursor.execute("SELECT 1 FROM outages_service LIMIT 1")
            cursor.fetchall()
    except DatabaseError as error:
        log.warning("health check failed: %s", error)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
