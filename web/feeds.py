"""RSS and Atom feeds of incidents, overall and per service (django.contrib.syndication)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from outages import selectors
from outages.models import Incident, Level, Service


class IncidentFeed(Feed):
    """Worldwide incidents of every service, newest first."""

    def title(self, obj: Service | None = None) -> str:
        if obj is None:
            return _("opendown: incidents")
        return _("opendown: incidents at %(service)s") % {"service": obj.name}

    def link(self, obj: Service | None = None) -> str:
        return reverse("outages:service", args=[obj.slug]) if obj else reverse("outages:home")

    def description(self, obj: Service | None = None) -> str:
        return _("Outages detected from people's reports, as they start and end.")

    def items(self, obj: Service | None = None) -> QuerySet[Incident]:
        incidents = selectors.incident_list().filter(country="")
        return (incidents.filter(service=obj) if obj else incidents)[:50]

    def item_title(self, item: Incident) -> str:
        if item.severity == Level.OUTAGE:
            title = _("Problems at %(service)s")
        else:
            title = _("Possible problems at %(service)s")
        title %= {"service": item.service.name}
        return title if item.is_active else _("%(title)s (resolved)") % {"title": title}

    def item_description(self, item: Incident) -> str:
        lines = [
            _("Started %(at)s UTC.") % {"at": f"{item.started_at:%Y-%m-%d %H:%M}"},
            _("Peak: %(n)d reports in 15 minutes (typical: %(expected).0f).")
            % {"n": item.peak_reports, "expected": item.expected_at_peak},
        ]
        if item.ended_at:
            lines.append(_("Ended %(at)s UTC.") % {"at": f"{item.ended_at:%Y-%m-%d %H:%M}"})
        if item.top_problems:
            lines.append(", ".join(f"{p['share']:.0f} % {p['name']}" for p in item.top_problems))
        return " ".join(lines)

    def item_link(self, item: Incident) -> str:
        return reverse("outages:incident", args=[item.pk])

    def item_pubdate(self, item: Incident) -> datetime:
        return item.started_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.updated_at


class ServiceIncidentFeed(IncidentFeed):
    def get_object(self, request, slug: str) -> Service:  # type: ignore[no-untyped-def, override]
        return get_object_or_404(Service, slug=slug)


class IncidentAtomFeed(IncidentFeed):
    feed_type = Atom1Feed
    subtitle = IncidentFeed.description


class ServiceIncidentAtomFeed(ServiceIncidentFeed):
    feed_type = Atom1Feed
    subtitle = IncidentFeed.description
