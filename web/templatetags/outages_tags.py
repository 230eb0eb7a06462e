"""Small formatting filters for the pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django_countries import countries

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """ "2 h 05 min", "45 min" (an incident lasts minutes to days, never seconds)."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    if minutes < 48 * 60:
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)d days %(h)d h") % {"d": minutes // 1440, "h": minutes % 1440 // 60}


@register.filter
def since(then: datetime | None, now: datetime) -> str:
    """How long ago, in the words of `duration` (Django's `timesince` has no Hindi or Bengali
    for its minutes and hours, so it would put English words in those pages)."""
    if then is None:
        return ""
    if now - then < timedelta(minutes=1):
        return _("under 1 min")
    return duration(now - then)


@register.filter
def level_word(level: str) -> str:
    """The status word shown next to a service (the same three words everywhere)."""
    return {
        "outage": _("Problems"),
        "possible": _("Possible problems"),
    }.get(level, _("No current problems"))


@register.filter
def num(value: float | None, digits: int = 0) -> str:
    """A number as the page's language writes it, grouped: 114,527 in English, 1,14,527 in
    Hindi and Bengali (config/formats), as Intl.NumberFormat writes it in the browser."""
    if value is None:
        return "\u2013"  # an en dash, as the chart's table shows a missing value
    if digits:
        return formats.number_format(round(value, digits), digits, force_grouping=True)
    return formats.number_format(round(value), force_grouping=True)


@register.filter
def country_word(code: object) -> str:
    """A country's name in the page's language, from its code (names stored with a report or
    an incident are English; locale/countries holds the Hindi and Bengali ones)."""
    return str(countries.name(str(code))) if code else ""
