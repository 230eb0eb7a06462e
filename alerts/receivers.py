"""Hears the detector (which must not import us) and writes the alert outbox in its transaction."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from alerts import services
from detection.signals import incident_changed

log = logging.getLogger(__name__)


@receiver(incident_changed, dispatch_uid="alerts.record_incident_change")
def record_incident_change(sender, *, incident, transition: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    # A savepoint: a failure here loses these alerts (logged) but never the detector's cycle,
    # which is worth more than any alert.
    try:
        with transaction.atomic():
            services.record_incident_change(incident, transition, now=timezone.now())
    except Exception:
        log.exception("alerts for incident %s (%s) not recorded", incident.pk, transition)
