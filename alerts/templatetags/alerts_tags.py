from __future__ import annotations

from django import template

from alerts.forms import SubscribeForm
from outages.models import Service

register = template.Library()


@register.inclusion_tag("alerts/subscribe_box.html")
def subscribe_box(service: Service) -> dict:
    return {"service": service, "form": SubscribeForm(service=service)}
