from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from official import selectors
from outages.models import Incident, Service
from outages.selectors import active_incident

register = template.Library()


def clock_html(ack: selectors.Acknowledgement) -> SafeString:
    """The clock's sentence with its values escaped and the running minutes in a span that
    official/ack_clock.js advances every minute (the page may come from a cache)."""
    sentence, values = selectors.clock_parts(ack)
    safe = {key: conditional_escape(value) for key, value in values.items()}
    safe["minutes"] = format_html("<span data-clock-minutes>{}</span>", values["minutes"])
    return mark_safe(conditional_escape(sentence) % safe)


@register.inclusion_tag("official/official_box.html")
def official_box(service: Service) -> dict:
    incident = active_incident(service)
    ack = None if incident is None else selectors.acknowledgement(incident)
    return {
        "service": service,
        "official": selectors.official_status(service.pk),
        "incident": incident,
        "ack": ack,
        "clock": None if ack is None else clock_html(ack),
    }


@register.inclusion_tag("official/_ack_clock.html")
def ack_clock(incident: Incident) -> dict:
    ack = selectors.acknowledgement(incident)
    return {"incident": incident, "ack": ack, "clock": clock_html(ack)}


@register.simple_tag
def clock_for(ack: selectors.Acknowledgement) -> SafeString:
    return clock_html(ack)


@register.filter
def official_status_word(status: str) -> str:
    """A vendor incident's status (Statuspage's fixed words) in the reader's language; any
    other word is the vendor's own and shown as given."""
    words = {
        "investigating": _("investigating"),
        "identified": _("identified"),
        "monitoring": _("monitoring"),
        "resolved": _("resolved"),
        "postmortem": _("postmortem"),
        "scheduled": _("scheduled"),
        "in_progress": _("in progress"),
        "verifying": _("verifying"),
        "completed": _("completed"),
    }
    return words.get(str(status).lower(), status)
