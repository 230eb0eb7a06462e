from __future__ import annotations

from django import template

from official import selectors
from outages.models import Service

register = template.Library()


@register.inclusion_tag("official/official_box.html")
def official_box(service: Service) -> dict:
    return {"service": service, "official": selectors.official_status(service.pk)}
