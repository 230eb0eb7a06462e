from __future__ import annotations


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
