"""What the detector tells the layers above it, without importing them (they connect receivers).

`incident_changed` is sent inside the detector's transaction, so a receiver's writes (an alert
outbox row, say) commit or roll back together with the incident change: exactly once.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: incident (outages.models.Incident, as just saved) and transition: one of TRANSITIONS.
incident_changed = Signal()

OPENED, RAISED, ENDED = "opened", "raised", "ended"
TRANSITIONS = (OPENED, RAISED, ENDED)
