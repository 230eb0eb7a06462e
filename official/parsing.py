"""Parse the machine-readable status formats into plain records (no Django, no network).

Atlassian Statuspage's public API (/api/v2/summary.json and /api/v2/incidents.json) is what
most vendors' pages serve; RSS 2.0 and Atom feeds are the fallback most others offer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

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
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
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
