"""The counting promise (reports/promise.py) is measured against this detector: refuse to run
when the two disagree, so the caps cannot drift away from the windows and crowd they protect."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from detection.engine import EngineConfig
from reports import promise


@checks.register()
def counting_promise_holds(app_configs=None, **kwargs) -> list[checks.CheckMessage]:  # type: ignore[no-untyped-def]
    return promise_errors(EngineConfig())


def promise_errors(config: EngineConfig) -> list[checks.CheckMessage]:
    """What breaks the promise for this detector configuration and these settings."""
    errors: list[checks.CheckMessage] = []
    longest = max(config.scales_minutes)
    if longest != promise.DETECTOR_LONGEST_WINDOW_MINUTES:
        errors.append(
            checks.Error(
                f"reports.promise.DETECTOR_LONGEST_WINDOW_MINUTES is "
                f"{promise.DETECTOR_LONGEST_WINDOW_MINUTES}, the detector's longest window is "
                f"{longest} minutes: the caps would not hold over every window it tests.",
                id="detection.E101",
            )
        )
    if config.min_excess_possible != promise.DETECTOR_CROWD:
        errors.append(
            checks.Error(
                f"reports.promise.DETECTOR_CROWD is {promise.DETECTOR_CROWD}, the detector's "
                f"min_excess_possible is {config.min_excess_possible}: derive the caps again.",
                id="detection.E102",
            )
        )
    for name, allowed in (
        ("REPORT_MAX_COUNTED_PER_ADDRESS", promise.CLIENT_MAX),
        ("REPORT_MAX_COUNTED_PER_NETWORK", promise.NETWORK_MAX),
    ):
        value = getattr(settings, name)
        if value > allowed:
            errors.append(
                checks.Error(
                    f"{name}={value} breaks the counting promise (at most {allowed}): one "
                    f"holder could bring the detector a crowd alone.",
                    id="detection.E103",
                )
            )
        elif value == 0:  # a load test from one address switches the caps off
            errors.append(
                checks.Warning(f"{name}=0: the counting cap is off.", id="detection.W104")
            )
    return errors
