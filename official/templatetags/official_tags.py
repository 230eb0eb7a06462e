from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from official import selectors
from outages.models import Service

register = template.Library()


@register.inclusion_tag("official/official_box.html")
def official_box(service: Service) -> dict:
    return {"service": service, "official": selectors.official_status(service.pk)}


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
