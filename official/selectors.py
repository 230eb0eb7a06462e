"""Reads: a service's official status, and how long vendors take to acknowledge an incident."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from official.models import OfficialIncident, PageKind, ServiceStatusPage, StatusPage
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
    # Minutes since the crowd saw the incident (to its end, or to now while it goes on).
    crowd_minutes: int = 0
    vendor: str = ""


def _link(service_id: int) -> ServiceStatusPage | None:
    return ServiceStatusPage.objects.select_related("page").filter(service_id=service_id).first()


def acknowledgement(incident: Incident, *, now: datetime | None = None) -> Acknowledgement:
    """The earliest official incident on the service's page that overlaps this crowd incident
    in time and names one of the service's components (or none at all)."""
    now = now or timezone.now()
    crowd = round(((incident.ended_at or now) - incident.started_at).total_seconds() / 60)
    link = _link(incident.service_id)
    if link is None:
        return Acknowledgement(Ack.NO_PAGE, crowd_minutes=max(crowd, 0))
    found = Acknowledgement(Ack.UNKNOWN, crowd_minutes=max(crowd, 0), vendor=link.page.name)
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
            found.state, found.acknowledged_at = Ack.ACKNOWLEDGED, official.acknowledged_at
            found.lag_minutes, found.official = round(lag), official
            return found
    watched = link.page.watched_since
    # Unknown: we never read the page (not polled yet, a page for people only), or the
    # incident was over before what we read of the page covers.
    if watched is None or (incident.ended_at is not None and incident.ended_at < watched):
        return found
    found.state = Ack.PENDING if incident.ended_at is None else Ack.NEVER
    return found


def clock_parts(ack: Acknowledgement) -> tuple[str, dict[str, object]]:
    """The acknowledgement clock as a translated sentence and its values (the page wraps the
    minutes so they tick live; the API fills them in: clock_text)."""
    values: dict[str, object] = {"vendor": ack.vendor, "minutes": ack.crowd_minutes}
    if ack.state == Ack.ACKNOWLEDGED:
        lag = ack.lag_minutes or 0
        if lag <= 0:
            return _("%(vendor)s acknowledged it first, %(lag)s min before the crowd."), {
                **values,
                "lag": -lag,
            }
        return _("%(vendor)s acknowledged it %(lag)s min after the crowd saw it."), {
            **values,
            "lag": lag,
        }
    if ack.state == Ack.PENDING:
        return _("%(vendor)s has not acknowledged it after %(minutes)s min."), values
    if ack.state == Ack.NEVER:
        return _("%(vendor)s never acknowledged it (%(minutes)s min)."), values
    if ack.state == Ack.NO_PAGE:
        return _("No official status page: nobody official to acknowledge it."), values
    return _("Unknown: %(vendor)s's status page was not read before this ended."), values


def clock_text(ack: Acknowledgement) -> str:
    """The acknowledgement clock in words, in the active language."""
    sentence, values = clock_parts(ack)
    return sentence % values


@dataclass
class VendorLag:
    page: StatusPage
    median_lag_minutes: float | None
    acknowledged: int
    never: int
    incidents: list[tuple[Incident, Acknowledgement]]
    pending: int = 0

    @property
    def never_share(self) -> float | None:
        """The share of the crowd's closed incidents (with a known outcome) the vendor never
        acknowledged; None when there is none."""
        closed = self.acknowledged + self.never
        return None if closed == 0 else self.never / closed


def lag_ranking(*, now: datetime | None = None, days: int = RANKING_DAYS) -> list[VendorLag]:
    """Vendors by median acknowledgement lag of the crowd's worldwide incidents in `days`,
    quickest first; vendors with no acknowledged incident come last. Incidents still going on
    are listed with their clock (pending, or acknowledged already)."""
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
        row.pending += ack.state == Ack.PENDING
    for row in by_page.values():
        lags = [a.lag_minutes for _, a in row.incidents if a.lag_minutes is not None]
        row.median_lag_minutes = statistics.median(lags) if lags else None
    return sorted(
        by_page.values(),
        key=lambda r: (r.median_lag_minutes is None, r.median_lag_minutes or 0, r.page.name),
    )


class OfficialState:
    NO_PAGE = "no_official_status_page"
    NOT_POLLED = "not_polled_yet"
    NOT_MACHINE_READABLE = "not_machine_readable"
    FAILING = "failing"
    POLLED = "polled"


def _no_page() -> dict:
    return {
        "status_page": None,
        "state": OfficialState.NO_PAGE,
        "state_text": _("no official status page"),
        "page": None,
        "url": None,
        "format": None,
        "verified": None,
        "indicator": None,
        "description": None,
        "polled_at": None,
        "latest_incident": None,
    }


def _page_status(page: StatusPage, latest: OfficialIncident | None) -> dict:
    if page.kind == PageKind.PAGE:
        state, text = OfficialState.NOT_MACHINE_READABLE, _("a page for people only, not polled")
    elif page.polled_at is None or not page.polled:
        state, text = OfficialState.NOT_POLLED, _("not polled yet")
        if page.failures:
            state = OfficialState.FAILING
            text = _("not polled yet (the page did not answer)")
    else:
        state, text = OfficialState.POLLED, page.description or _("polled: no status given")
    return {
        "status_page": page.status_page or page.url,
        "state": state,
        "state_text": text,
        "page": page.name,
        "url": page.url,
        "format": page.kind,
        "verified": page.verified,
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


def official_status(service_id: int) -> dict:
    """The vendor's own status beside the crowd's, for the service API and page: present for
    every service, with `status_page` null and state "no official status page" when the
    vendor publishes none."""
    link = _link(service_id)
    if link is None:
        return _no_page()
    return _page_status(link.page, link.page.incidents.first())


def official_statuses(service_ids: list[int]) -> dict[int, dict]:
    """official_status of many services in two queries (the service list)."""
    links = ServiceStatusPage.objects.filter(service_id__in=service_ids).select_related("page")
    pages = {link.page_id for link in links}
    newest = OfficialIncident.objects.filter(page_id=OuterRef("pk")).order_by("-acknowledged_at")
    latest_ids = StatusPage.objects.filter(pk__in=pages).annotate(
        latest=Subquery(newest.values("pk")[:1])
    )
    latest = OfficialIncident.objects.in_bulk([p.latest for p in latest_ids if p.latest])
    by_page = {p.pk: latest.get(p.latest) for p in latest_ids}
    found = {link.service_id: _page_status(link.page, by_page.get(link.page_id)) for link in links}
    return {pk: found.get(pk) or _no_page() for pk in service_ids}
