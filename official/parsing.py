"""Parse the machine-readable status formats into plain records (no Django, no network).

Atlassian Statuspage's public API (/api/v2/summary.json and /api/v2/incidents.json) is what
most vendors' pages serve, and incident.io pages serve the same documents; Google's dashboards
publish incidents.json; RSS 2.0 and Atom feeds are the fallback most others offer; a few big
vendors have their own JSON (Slack, PlayStation Network, Apple, PayPal). `FORMATS` says which
documents each format polls and how each is read. Every reader takes hostile bytes: anything
that is not the expected shape raises FormatError, strings are cut and stripped of NULs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

ATOM = "{http://www.w3.org/2005/Atom}"


class FormatError(ValueError):
    """The document is not the format it should be."""


@dataclass
class PageStatus:
    indicator: str
    description: str


@dataclass
class IncidentRecord:
    external_id: str
    name: str
    acknowledged_at: datetime
    status: str = ""
    impact: str = ""
    resolved_at: datetime | None = None
    components: list[str] = field(default_factory=list)
    url: str = ""


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)  # RSS's RFC 822 dates
        except (TypeError, ValueError):
            return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _short(value: object, limit: int) -> str:
    return str(value or "").replace("\x00", "")[:limit]


def _json(body: bytes, what: str) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise FormatError(f"not {what}: {error}") from error


def statuspage_summary(body: bytes) -> PageStatus:
    try:
        status = json.loads(body)["status"]
        return PageStatus(_short(status["indicator"], 20), _short(status["description"], 200))
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise FormatError(f"not a Statuspage summary: {error}") from error


def statuspage_incidents(body: bytes) -> list[IncidentRecord]:
    try:
        incidents = json.loads(body)["incidents"]
        if not isinstance(incidents, list):
            raise TypeError("incidents is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise FormatError(f"not a Statuspage incident list: {error}") from error
    records = []
    for item in incidents:
        if not isinstance(item, dict):
            continue
        updates = [u for u in item.get("incident_updates") or [] if isinstance(u, dict)]
        # The first thing the vendor published: the incident or its earliest update.
        posted = [_when(item.get("created_at"))] + [_when(u.get("created_at")) for u in updates]
        posted = [moment for moment in posted if moment is not None]
        if not posted or not item.get("id"):
            continue
        components = [
            _short(c.get("name"), 100) for c in item.get("components") or [] if isinstance(c, dict)
        ]
        records.append(
            IncidentRecord(
                external_id=_short(item["id"], 200),
                name=_short(item.get("name"), 300),
                acknowledged_at=min(posted),
                status=_short(item.get("status"), 30),
                impact=_short(item.get("impact"), 30),
                resolved_at=_when(item.get("resolved_at")),
                components=components,
                url=_short(item.get("shortlink"), 500),
            )
        )
    return records


def feed_incidents(body: bytes) -> list[IncidentRecord]:
    """Each RSS item or Atom entry is one incident, acknowledged when it was published."""
    try:
        # defusedxml: no DTDs' entity expansion (billion laughs), no external entities.
        root = parse_xml(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as error:
        raise FormatError(f"not XML: {error}") from error
    records = []
    for item in root.iter("item"):  # RSS 2.0
        published = _when(item.findtext("pubDate"))
        key = item.findtext("guid") or item.findtext("link")
        if published and key:
            records.append(
                IncidentRecord(
                    external_id=_short(key, 200),
                    name=_short(item.findtext("title"), 300),
                    acknowledged_at=published,
                    url=_short(item.findtext("link"), 500),
                )
            )
    for entry in root.iter(f"{ATOM}entry"):
        published = _when(entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated"))
        key = entry.findtext(f"{ATOM}id")
        link = entry.find(f"{ATOM}link")
        if published and key:
            records.append(
                IncidentRecord(
                    external_id=_short(key, 200),
                    name=_short(entry.findtext(f"{ATOM}title"), 300),
                    acknowledged_at=published,
                    url=_short(link.get("href") if link is not None else "", 500),
                )
            )
    if root.tag not in ("rss", f"{ATOM}feed") and not records:
        raise FormatError(f"not an RSS or Atom feed: <{root.tag}>")
    return records


# The vendors' own words mapped onto Statuspage's indicator scale, so every page reads alike.
NONE, MINOR, MAJOR, CRITICAL, MAINTENANCE = "none", "minor", "major", "critical", "maintenance"
_SEVERITY = {NONE: 0, MAINTENANCE: 1, MINOR: 2, MAJOR: 3, CRITICAL: 4}


def _worst(indicators: list[str]) -> str:
    return max(indicators, key=lambda i: _SEVERITY.get(i, 0), default=NONE)


def _epoch_ms(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def google_incidents(body: bytes) -> tuple[PageStatus, list[IncidentRecord]]:
    """Google's status dashboards (Cloud, Workspace): a JSON list of incidents, newest first.

    Acknowledged when Google first published it (`created`, else its first update); `begin`
    is when Google says the impact began, often set back afterwards, so it is not the
    acknowledgement."""
    incidents = _json(body, "a Google incidents.json")
    if not isinstance(incidents, list):
        raise FormatError("not a Google incidents.json: not a list")
    records, open_severities = [], []
    for item in incidents:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        updates = [u for u in item.get("updates") or [] if isinstance(u, dict)]
        posted = [_when(item.get("created"))] + [_when(u.get("created")) for u in updates]
        posted = [moment for moment in posted if moment is not None]
        if not posted:
            continue
        latest = item.get("most_recent_update")
        latest = latest if isinstance(latest, dict) else {}
        ended = _when(item.get("end"))
        if ended is None:
            severity = str(item.get("severity") or "")
            open_severities.append(MAJOR if severity == "high" else MINOR)
        products = [p for p in item.get("affected_products") or [] if isinstance(p, dict)]
        uri = _short(item.get("uri"), 300)
        records.append(
            IncidentRecord(
                external_id=_short(item["id"], 200),
                name=_short(item.get("external_desc"), 300),
                acknowledged_at=min(posted),
                status=_short(latest.get("status"), 30),
                impact=_short(item.get("severity"), 30),
                resolved_at=ended,
                components=[_short(p.get("title"), 100) for p in products],
                url=uri if uri.startswith("http") else "",
            )
        )
    if open_severities:
        count = len(open_severities)
        status = PageStatus(_worst(open_severities), f"{count} open incident(s)")
    else:
        status = PageStatus(NONE, "No open incidents")
    return status, records


_SLACK_TYPES = {"outage": MAJOR, "incident": MINOR, "notice": MINOR, "maintenance": MAINTENANCE}


def slack_current(body: bytes) -> tuple[PageStatus, list[IncidentRecord]]:
    """Slack's status API v2.0.0 `current`: {"status": "ok" | "active", "active_incidents"}."""
    document = _json(body, "a Slack status document")
    if not isinstance(document, dict) or "status" not in document:
        raise FormatError("not a Slack status document: no status")
    active = [i for i in document.get("active_incidents") or [] if isinstance(i, dict)]
    records = []
    for item in active:
        created = _when(item.get("date_created"))
        if created is None or not item.get("id"):
            continue
        records.append(
            IncidentRecord(
                external_id=_short(item["id"], 200),
                name=_short(item.get("title"), 300),
                acknowledged_at=created,
                status=_short(item.get("status"), 30),
                impact=_short(item.get("type"), 30),
                components=[_short(s, 100) for s in item.get("services") or [] if s],
                url=_short(item.get("url"), 500),
            )
        )
    if document.get("status") == "ok" or not active:
        return PageStatus(NONE, "No active incidents"), records
    indicator = _worst([_SLACK_TYPES.get(str(i.get("type")), MINOR) for i in active])
    return PageStatus(indicator, _short(active[0].get("title"), 200)), records


_PSN_TYPES = {"OK": NONE, "Maintenance": MAINTENANCE, "Degraded": MINOR, "Outage": MAJOR}
_PSN_WORDS = {
    NONE: "All services are up and running",
    MAINTENANCE: "Scheduled maintenance",
    MINOR: "Some services are degraded",
    MAJOR: "Some services are down",
}


def playstation_status(body: bytes) -> tuple[PageStatus, list[IncidentRecord]]:
    """PlayStation Network's regional status: {"regionName": ..., "status": [{"statusType"}]}.

    A status only: the document lists no incident times, so PSN has no acknowledgement lag."""
    document = _json(body, "a PlayStation status document")
    if not isinstance(document, dict) or not isinstance(document.get("status"), list):
        raise FormatError("not a PlayStation status document: no status list")
    types = [s.get("statusType") for s in document["status"] if isinstance(s, dict)]
    indicator = _worst([_PSN_TYPES.get(str(t), MINOR) for t in types])
    return PageStatus(indicator, _PSN_WORDS[indicator]), []


_APPLE_TYPES = {"Outage": MAJOR, "Issue": MINOR, "Performance": MINOR, "Maintenance": MAINTENANCE}


def apple_status(body: bytes) -> tuple[PageStatus, list[IncidentRecord]]:
    """Apple's system status: JSONP, `jsonCallback({"services": [{"serviceName", "events"}]})`.

    Apple lists an event's start and end, not when it posted it, so an Apple event counts as
    acknowledged from its start: its lag can only look shorter than it was."""
    text = body.decode("utf-8", errors="replace")
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise FormatError("not Apple's system status: no JSON object")
    document = _json(text[start : end + 1].encode(), "Apple's system status")
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        raise FormatError("not Apple's system status: no services list")
    records, ongoing = [], []
    for service in document["services"]:
        if not isinstance(service, dict):
            continue
        name = _short(service.get("serviceName"), 100)
        for event in service.get("events") or []:
            if not isinstance(event, dict) or event.get("statusType") == "Maintenance":
                continue
            began = _epoch_ms(event.get("epochStartDate"))
            if began is None:
                continue
            if event.get("eventStatus") == "ongoing":
                ongoing.append(_APPLE_TYPES.get(str(event.get("statusType")), MINOR))
            key = event.get("messageId") or f"{name}:{event.get('epochStartDate')}"
            records.append(
                IncidentRecord(
                    external_id=_short(key, 200),
                    name=_short(f"{name}: {event.get('message') or event.get('statusType')}", 300),
                    acknowledged_at=began,
                    status=_short(event.get("eventStatus"), 30),
                    impact=_short(event.get("statusType"), 30),
                    resolved_at=_epoch_ms(event.get("epochEndDate")),
                    components=[name],
                )
            )
    if ongoing:
        return PageStatus(_worst(ongoing), f"{len(ongoing)} ongoing issue(s)"), records
    return PageStatus(NONE, "All services available"), records


_PAYPAL_STATES = {
    "operational": NONE,
    "informational": NONE,
    "under maintenance": MAINTENANCE,
    "service disruption": MINOR,
    "service outage": MAJOR,
}


def paypal_status(body: bytes) -> tuple[PageStatus, list[IncidentRecord]]:
    """PayPal's components API: {"result": [{"name", "category": {"name"}, "status":
    {"production": "Operational", "sandbox": ...}}]}; the production product components count.

    A status only: the document lists no incident times."""
    document = _json(body, "PayPal's components document")
    if not isinstance(document, dict) or not isinstance(document.get("result"), list):
        raise FormatError("not PayPal's components document: no result list")
    worst, words = NONE, "Operational"
    for item in document["result"]:
        if not isinstance(item, dict):
            continue
        status = item.get("status") if isinstance(item.get("status"), dict) else {}
        said = str(status.get("production") or "").strip()
        indicator = _PAYPAL_STATES.get(said.lower(), MINOR if said else NONE)
        if _SEVERITY[indicator] > _SEVERITY[worst]:
            worst, words = indicator, _short(f"{item.get('name') or ''}: {said}", 200)
    return PageStatus(worst, words), []


def _summary(body: bytes) -> tuple[PageStatus | None, list[IncidentRecord] | None]:
    return statuspage_summary(body), None


def _incidents(body: bytes) -> tuple[PageStatus | None, list[IncidentRecord] | None]:
    return None, statuspage_incidents(body)


def _feed(body: bytes) -> tuple[PageStatus | None, list[IncidentRecord] | None]:
    return None, feed_incidents(body)


Reader = Callable[[bytes], tuple[PageStatus | None, list[IncidentRecord] | None]]


@dataclass(frozen=True)
class Document:
    path: str  # under the page's root URL; "" is the URL itself
    read: Reader
    # A history: every incident since its oldest listed one (Statuspage's latest 50, a feed's
    # items, Google's years). A crowd incident inside that span with no match was never
    # acknowledged; before it, we cannot tell. False: only what is going on now.
    history: bool


_STATUSPAGE = [
    Document("api/v2/summary.json", _summary, history=False),
    Document("api/v2/incidents.json", _incidents, history=True),
]
# Per format, the documents it polls and how each is read.
FORMATS: dict[str, list[Document]] = {
    "statuspage": _STATUSPAGE,
    "incidentio": _STATUSPAGE,
    "google": [Document("", google_incidents, history=True)],
    "rss": [Document("", _feed, history=True)],
    "atom": [Document("", _feed, history=True)],
    "slack": [Document("", slack_current, history=False)],
    "playstation": [Document("", playstation_status, history=False)],
    "apple": [Document("", apple_status, history=True)],
    "paypal": [Document("", paypal_status, history=False)],
}


def document_url(url: str, path: str) -> str:
    return f"{url.rstrip('/')}/{path}" if path else url
