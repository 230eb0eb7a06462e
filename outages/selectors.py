"""Reads of the domain: services, their status and incidents (report counts: reports.selectors)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from outages.models import Incident, IncidentLink, Level, Service, Status


def service_list() -> QuerySet[Service]:
    """Services with `level` (their global status; ok when never assessed) and `has_children`."""
    global_status = Status.objects.filter(service=OuterRef("pk"), country="")
    return (
        Service.objects.select_related("parent")
        .annotate(
            level=Coalesce(Subquery(global_status.values("level")[:1]), Value(Level.OK)),
            has_children=Exists(Service.objects.filter(parent=OuterRef("pk"))),
        )
        .order_by("name")
    )


def member_ids(services: Iterable[Service]) -> dict[int, list[int]]:
    """Each service's own id plus its children's: a parent's numbers are their sum."""
    members: dict[int, list[int]] = {s.pk: [s.pk] for s in services}
    for child_id, parent_id in Service.objects.filter(parent_id__in=members).values_list(
        "pk", "parent_id"
    ):
        members[parent_id].append(child_id)
    return members


def global_status(service: Service, *, country: str = "") -> Status | None:
    """The service's status worldwide, or in one country."""
    return Status.objects.filter(service=service, country=country).first()


def active_incident(service: Service, *, country: str = "") -> Incident | None:
    return (
        Incident.objects.filter(service=service, country=country, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


def incident_list() -> QuerySet[Incident]:
    return Incident.objects.select_related("service").order_by("-started_at", "-pk")


def related_incidents(incident: Incident) -> list[tuple[Incident, IncidentLink]]:
    links = IncidentLink.objects.filter(
        Q(from_incident=incident) | Q(to_incident=incident)
    ).select_related("from_incident__service", "to_incident__service")
    return [
        (link.to_incident if link.from_incident_id == incident.pk else link.from_incident, link)
        for link in links
    ]


@dataclass(frozen=True)
class IncidentGroup:
    """Active incidents that are linked to each other, shown together on the home page."""

    incidents: list[Incident]
    started_at: datetime
    reasons: list[str]


def active_incident_groups(services: Iterable[Service]) -> list[IncidentGroup]:
    """Open worldwide incidents of these services, linked ones grouped, newest group first."""
    open_incidents = {
        i.pk: i
        for i in Incident.objects.filter(
            service__in=list(services), country="", ended_at__isnull=True
        ).select_related("service")
    }
    # Union-find over the links between open incidents.
    root = {pk: pk for pk in open_incidents}

    def find(pk: int) -> int:
        while root[pk] != pk:
            root[pk] = root[root[pk]]
            pk = root[pk]
        return pk

    reasons: dict[int, set[str]] = defaultdict(set)
    links = IncidentLink.objects.filter(
        from_incident__in=list(open_incidents), to_incident__in=list(open_incidents)
    )
    for link in links:
        a, b = find(link.from_incident_id), find(link.to_incident_id)
        root[max(a, b)] = min(a, b)
        reasons[link.from_incident_id].add(link.get_reason_display())
    groups: dict[int, list[Incident]] = defaultdict(list)
    for pk, incident in open_incidents.items():
        groups[find(pk)].append(incident)
    result = []
    for members in groups.values():
        members.sort(key=lambda i: (i.started_at, i.service.name))
        why = sorted({r for i in members for r in reasons.get(i.pk, ())})
        result.append(IncidentGroup(members, members[0].started_at, why))
    return sorted(result, key=lambda g: g.started_at, reverse=True)


def incident_history(service: Service, *, limit: int = 10) -> list[Incident]:
    """The service's worldwide incidents, newest first, each with `linked` [(incident, link)]."""
    return list(incident_history_page(service, page=1, per_page=limit))


def incident_history_page(
    service: Service, *, page: object, per_page: int = 10, country: str = ""
) -> Page:
    """One page of the service's worldwide (or one country's) incidents, newest first,
    annotated as above.

    Any page number a visitor can type (absent, "x", 9999) gives a page: the first or the last.
    """
    paginator = Paginator(incident_list().filter(service=service, country=country), per_page)
    result = paginator.get_page(page)
    incidents = list(result.object_list)
    linked = linked_services([i.pk for i in incidents])
    now = timezone.now()
    for incident in incidents:
        incident.linked = linked.get(incident.pk, [])
        incident.duration = (incident.ended_at or now) - incident.started_at
    result.object_list = incidents
    return result


def linked_services(incident_ids: list[int]) -> dict[int, list[tuple[Incident, IncidentLink]]]:
    """For each incident, the incidents linked to it with the link (one query for the lot)."""
    result: dict[int, list[tuple[Incident, IncidentLink]]] = defaultdict(list)
    links = IncidentLink.objects.filter(
        Q(from_incident__in=incident_ids) | Q(to_incident__in=incident_ids)
    ).select_related("from_incident__service", "to_incident__service")
    wanted = set(incident_ids)
    for link in links:
        if link.from_incident_id in wanted:
            result[link.from_incident_id].append((link.to_incident, link))
        if link.to_incident_id in wanted:
            result[link.to_incident_id].append((link.from_incident, link))
    return result


def incident_days(service: Service, *, since: datetime, country: str = "") -> dict[date, dict]:
    """Per UTC day from `since`, the incidents that ran that day: the worst severity, how
    many, and the first of them (the calendar links to it)."""
    now = timezone.now()
    days: dict[date, dict] = {}
    for incident in (
        Incident.objects.filter(service=service, country=country)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("started_at")
        .only("pk", "severity", "started_at", "ended_at")
    ):
        day = max(incident.started_at, since).date()
        last = (incident.ended_at or now).date()
        while day <= last:
            cell = days.setdefault(day, {"level": "possible", "count": 0, "first": incident})
            cell["count"] += 1
            if incident.severity == "outage":
                cell["level"] = "outage"
            day += timedelta(days=1)
    return days


def incident_periods(
    service: Service, *, since: datetime, country: str = ""
) -> list[tuple[datetime, datetime | None]]:
    """(start, end or None while open) of the service's worldwide (or one country's)
    incidents overlapping `since`."""
    return list(
        Incident.objects.filter(service=service, country=country)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("started_at")
        .values_list("started_at", "ended_at")
    )
