from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np


def with_throttle_rates(**rates: str | None):
    """override_settings for the API's rate limits only; the rest of REST_FRAMEWORK stays.

    Replacing the whole dict would leak: DRF reads some of it once, when its modules are
    first imported, which may happen inside the override.
    """
    from django.conf import settings
    from django.test import override_settings

    framework = settings.REST_FRAMEWORK
    current = framework["DEFAULT_THROTTLE_RATES"]
    return override_settings(
        REST_FRAMEWORK={**framework, "DEFAULT_THROTTLE_RATES": {**current, **rates}}
    )


def store_minute_counts(service, start: datetime, counts: np.ndarray, country: str = "US") -> None:
    """Roll-up rows for one series: counts[i] reports in minute start + i (first problem type)."""
    from reports.models import ReportCount

    problem = service.problem_types.first()
    ReportCount.objects.bulk_create(
        [
            ReportCount(
                service=service,
                country=country,
                problem_type=problem,
                minute=start + timedelta(minutes=int(i)),
                count=int(counts[i]),
            )
            for i in np.flatnonzero(counts)
        ],
        batch_size=5000,
    )
