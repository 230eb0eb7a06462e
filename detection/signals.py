"""What the detector tells the layers above it, without importing them (they connect receivers).

`incident_changed` is sent inside the detector's transaction, so a receiver's writes (an alert
outbox row, say) commit or roll back together with the incident change: exactly once.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: incident (outages.models.Incident, as just saved) and transition: one of TRANSITIONS.
incident_changed = Signal()

# Sent after the commit of each detection cycle that moved the cursor (no kwargs): new status
# rows are readable, so cached status answers are out of date.
cycle_finished = Signal()

OPENED, RAISED, ENDED = "opened", "raised", "ended"
TRANSITIONS = (OPENED, RAISED, ENDED)
