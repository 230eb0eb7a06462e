"""Values that apps above outages add to its API answers, without outages importing them.

outages declares each field (its name, shape and meaning when absent); an app registers the
function that computes it from its AppConfig.ready(). Unregistered, the field is null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_providers: dict[str, Callable[..., Any]] = {}

# Names of the fields apps may provide, and what each function receives.
SERVICE_OFFICIAL = "service_official"  # (service) -> dict for OfficialStatusSerializer | None
INCIDENT_ACKNOWLEDGEMENT = "incident_acknowledgement"  # (incident) -> dict | None


def register(name: str, provider: Callable[..., Any]) -> None:
    _providers[name] = provider


def provide(name: str, *args: Any) -> Any:
    provider = _providers.get(name)
    return None if provider is None else provider(*args)
