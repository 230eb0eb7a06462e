"""Subscribe the demo's own webhook receiver to ChatGPT, so `make run` shows an alert firing."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from alerts.models import Channel, Event, State, Subscription
from outages.models import Service
from outages.services import catalogue_load


class Command(BaseCommand):
    help = "Subscribe the local demo webhook receiver to ChatGPT's alerts (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        catalogue_load()
        path = reverse("alerts:demo-receiver")
        url = settings.SITE_URL.rstrip("/") + path
        # A demo run on another port leaves a receiver nobody listens to: forget it.
        Subscription.objects.filter(webhook_url__endswith=path).exclude(webhook_url=url).delete()
        subscription, _ = Subscription.objects.get_or_create(
            service=Service.objects.get(slug="chatgpt"),
            country="",
            channel=Channel.WEBHOOK,
            webhook_url=url,
            defaults={
                "events": Event.values,
                "state": State.ACTIVE,
                "secret": secrets.token_hex(32),
                "token": secrets.token_urlsafe(32),
            },
        )
        manage = settings.SITE_URL.rstrip("/") + reverse("alerts:manage", args=[subscription.token])
        self.stdout.write(
            f"Demo alerts: ChatGPT's incidents are posted, signed, to {url}; the web server's "
            f"log shows each delivery. Manage it at {manage}"
        )
