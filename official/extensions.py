"""Registers the official status and acknowledgement fields of outages' API answers."""

from __future__ import annotations

from official import selectors
from outages import extensions
from outages.models import Incident, Service


def service_official(service: Service) -> dict | None:
    return selectors.official_status(service.pk)


def incident_acknowledgement(incident: Incident) -> dict:
    found = selectors.acknowledgement(incident)
    return {
        "state": found.state,
        "acknowledged_at": found.acknowledged_at,
        "lag_minutes": found.lag_minutes,
    }


extensions.register(extensions.SERVICE_OFFICIAL, service_official)
extensions.register(extensions.INCIDENT_ACKNOWLEDGEMENT, incident_acknowledgement)
