"""Vendors' official status pages, their incidents, and which services each page speaks for."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from outages.models import Service


class PageKind(models.TextChoices):
    """How a source is read (official.parsing.FORMATS); PAGE is linked but never polled."""

    STATUSPAGE = "statuspage", "Atlassian Statuspage (/api/v2/)"
    INCIDENTIO = "incidentio", "incident.io (Statuspage-compatible /api/v2/)"
    GOOGLE = "google", "Google status dashboard (incidents.json)"
    RSS = "rss", _("RSS feed")
    ATOM = "atom", _("Atom feed")
    SLACK = "slack", "Slack status API v2"
    PLAYSTATION = "playstation", "PlayStation Network status JSON"
    APPLE = "apple", "Apple system status"
    PAYPAL = "paypal", "PayPal components API"
    PAGE = "page", _("web page only (not polled)")


class StatusPage(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # What the poller fetches. Statuspage / incident.io: the page's root (the poller appends
    # /api/v2/...); the other formats: the document itself.
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=12, choices=PageKind.choices)
    # The page people read (the service API's `status_page`); blank: same as url.
    status_page = models.URLField(max_length=500, blank=True)
    # Whether the polled URL was found in a public source (named in `source`), from the data
    # (official/sources.json); nothing was fetched to check it.
    verified = models.BooleanField(default=False)
    source = models.CharField(max_length=500, blank=True)
    # Off: known and linked but not polled (the demo, which has no internet, for the pages it
    # has no recorded copy of).
    polled = models.BooleanField(default=True)
    # The vendor's own words for its status now, e.g. indicator "major", "Partial outage".
    indicator = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=200, blank=True)
    # Per fetched URL: {"etag": ..., "last_modified": ...} for conditional requests.
    validators = models.JSONField(default=dict, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    # The first successful poll: a crowd incident before it, with no official match, is
    # "unknown" rather than "never acknowledged" (we were not watching; lists are truncated).
    watched_since = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name


class ServiceStatusPage(models.Model):
    """The page that speaks for a service, and the components on it that are this service."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="official")
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="services")
    # Component names on the page (e.g. ["ChatGPT"]); empty: any incident of the page counts.
    components = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.service} on {self.page}"


class OfficialIncident(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="incidents")
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    status = models.CharField(max_length=30, blank=True)
    impact = models.CharField(max_length=30, blank=True)
    # When the vendor first said something: its acknowledgement.
    acknowledged_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    components = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["page", "external_id"], name="one_official_incident")
        ]
        indexes = [
            # official.selectors.matching_incidents: a page's incidents around a time.
            models.Index(fields=["page", "acknowledged_at"], name="official_incident_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.page}: {self.name}"
