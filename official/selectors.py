"""Reads: a service's official status, and how long vendors take to acknowledge an incident."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from official.models import OfficialIncident, ServiceStatusPage, StatusPage
from outages.models import Incident

# An official incident opened up to this long before the crowd's detection is the same event:
# the crowd needs a few minutes of reports to be sure, and a vendor is sometimes first.
EARLY_ACKNOWLEDGEMENT = timedelta(minutes=60)
RANKING_DAYS = 90


class Ack:
    """What became of a crowd incident on the official page."""

    NO_PAGE = "no_official_page"
    ACKNOWLEDGED = "acknowledged"
    PENDING = "pending"  # still going on, not acknowledged yet
    NEVER = "never"  # ended without the vendor ever saying so
    UNKNOWN = "unknown"  # before we watched the page, and no match in its listed history


@dataclass
class Acknowledgement:
    state: str
    acknowledged_at: datetime | None = None
    lag_minutes: int | None = None
    official: OfficialIncident | None = None


def _link(service_id: int) -> ServiceStatusPage | None:
    return ServiceStatusPage.objects.select_related("page").filter(service_id=service_id).first()


def acknowledgement(incident: Incident, *, now: datetime | None = None) -> Acknowledgement:
    """The earliest official incident on the service's page that overlaps this crowd incident
    in time and names one of the service's components (or none at all)."""
    now = now or timezone.now()
    link = _link(incident.service_id)
    if link is None:
        return Acknowledgement(Ack.NO_PAGE)
    start = incident.started_at - EARLY_ACKNOWLEDGEMENT
    end = incident.ended_at or now
    candidates = OfficialIncident.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=start),
        page_id=link.page_id,
        acknowledged_at__lte=end,
    ).order_by("acknowledged_at")
    wanted = set(link.components)
    for official in candidates:
        if not wanted or not official.components or wanted & set(official.components):
            lag = (official.acknowledged_at - incident.started_at).total_seconds() / 60
            return Acknowledgement(Ack.ACKNOWLEDGED, official.acknowledged_at, round(lag), official)
    watched = link.page.watched_since
    if watched is None or incident.started_at < watched:
        return Acknowledgement(Ack.UNKNOWN)
    return Acknowledgement(Ack.PENDING if incident.ended_at is None else Ack.NEVER)


@dataclass
class VendorLag:
    page: StatusPage
    median_lag_minutes: float | None
    acknowledged: int
    never: int
    incidents: list[tuple[Incident, Acknowledgement]]


def lag_ranking(*, now: datetime | None = None, days: int = RANKING_DAYS) -> list[VendorLag]:
    """Vendors by median acknowledgement lag of the crowd's worldwide incidents in `days`,
    quickest first; vendors with no acknowledged incident come last."""
    now = now or timezone.now()
    links = ServiceStatusPage.objects.select_related("page")
    by_page: dict[int, VendorLag] = {}
    service_page = {link.service_id: link.page for link in links}
    incidents = Incident.objects.filter(
        service_id__in=service_page, country="", started_at__gte=now - timedelta(days=days)
    ).select_related("service")
    for incident in incidents.order_by("started_at"):
        page = service_page[incident.service_id]
        row = by_page.setdefault(page.pk, VendorLag(page, None, 0, 0, []))
        ack = acknowledgement(incident, now=now)
        row.incidents.append((incident, ack))
        row.acknowledged += ack.state == Ack.ACKNOWLEDGED
        row.never += ack.state == Ack.NEVER
    for row in by_page.values():
        lags = [a.lag_minutes for _, a in row.incidents if a.lag_minutes is not None]
        row.median_lag_minutes = statistics.median(lags) if lags else None
    return sorted(
        by_page.values(),
        key=lambda r: (r.median_lag_minutes is None, r.median_lag_minutes or 0, r.page.name),
    )


def official_status(service_id: int) -> dict | None:
    """The vendor's own status beside the crowd's, for the service API and page."""
    link = _link(service_id)
    if link is None:
        return None
    page = link.page
    latest = page.incidents.first()
    return {
        "page": page.name,
        "url": page.url,
        "indicator": page.indicator or None,
        "description": page.description or None,
        "polled_at": page.polled_at,
        "latest_incident": None
        if latest is None
        else {
            "name": latest.name,
            "status": latest.status or None,
            "impact": latest.impact or None,
            "acknowledged_at": latest.acknowledged_at,
            "resolved_at": latest.resolved_at,
            "url": latest.url or None,
        },
    }
