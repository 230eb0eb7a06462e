"""The domain everyone reads: services, their problem types, status and incidents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Category(models.TextChoices):
    AI = "ai", _("AI")
    SOCIAL = "social", _("Social media")
    MESSAGING = "messaging", _("Messaging")
    SEARCH = "search", _("Search and web")
    EMAIL = "email", _("Email")
    STREAMING = "streaming", _("Video and music")
    GAMING = "gaming", _("Gaming")
    CLOUD = "cloud", _("Cloud and hosting")
    PRODUCTIVITY = "productivity", _("Productivity")
    TELECOM = "telecom", _("Telecom and internet")
    BANKING = "banking", _("Banking")
    PAYMENTS = "payments", _("Payments")
    SHOPPING = "shopping", _("Shopping and delivery")


class Level(models.TextChoices):
    """The three states Downdetector shows, in its own order of gravity."""

    OK = "ok", _("No current problems")
    POSSIBLE = "possible", _("Possible problems")
    OUTAGE = "outage", _("Problems")


class ProblemType(models.Model):
    """An indicator people pick when reporting: Website, Login, Image generation..."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    company = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    website = models.URLField(blank=True)
    status_page_url = models.URLField(blank=True)
    # OpenAI is the parent of ChatGPT, Sora and the OpenAI API; a parent's numbers are the
    # sum of its children's (and its own, if people report the parent itself).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    countries = CountryField(multiple=True, blank=True, help_text=_("Where it is popular."))
    # Free-form infrastructure tags (aws, cloudflare...): shared tags explain linked incidents.
    provider_tags = models.JSONField(default=list, blank=True)
    problem_types = models.ManyToManyField(ProblemType, related_name="services")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.Model):
    """The current state of one series: a service overall (country '') or in one country.

    Detection rewrites these rows every minute, so the API reads status without computing it.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="statuses")
    country = CountryField(blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.OK)
    score = models.FloatField(default=0.0)
    expected_15m = models.FloatField(null=True, blank=True)
    threshold_15m = models.FloatField(null=True, blank=True)
    # When the current level began (null while ok).
    since = models.DateTimeField(null=True, blank=True)
    # The detector's hysteresis memory between cycles (detection.engine.HysteresisState).
    detector_state = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "statuses"
        constraints = [
            models.UniqueConstraint(fields=["service", "country"], name="one_status_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.country or 'global'}: {self.level}"


class Incident(models.Model):
    """A period when a series was significantly above its baseline."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="incidents")
    # Blank country means the service's global series.
    country = CountryField(blank=True)
    severity = models.CharField(max_length=10, choices=Level.choices[1:], default=Level.POSSIBLE)
    started_at = models.DateTimeField()
    peak_at = models.DateTimeField()
    peak_reports = models.PositiveIntegerField(help_text=_("Reports in the peak 15 minutes."))
    expected_at_peak = models.FloatField(help_text=_("Baseline for those 15 minutes."))
    ended_at = models.DateTimeField(null=True, blank=True)
    top_problems = models.JSONField(default=list, blank=True)
    top_countries = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The detector may race with itself (a redelivered task): the database keeps
            # exactly one open incident per service and scope.
            models.UniqueConstraint(
                fields=["service", "country"],
                condition=Q(ended_at__isnull=True),
                name="one_open_incident_per_service_scope",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="incident_ends_after_start",
            ),
        ]
        indexes = [
            # incidents API: filter by started_at (since) and list newest first.
            models.Index(fields=["-started_at"], name="incident_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.country or 'global'} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class LinkReason(models.TextChoices):
    SAME_PARENT = "same_parent", _("Same parent company")
    SHARED_PROVIDER = "shared_provider", _("Shared infrastructure provider")
    CO_OCCURRENCE = "co_occurrence", _("Started at the same time")
    OVERLAP = "overlap", _("Overlapping in time")


class IncidentLink(models.Model):
    """Two incidents that started within minutes of each other, and why they may be related."""

    from_incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    to_incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=LinkReason.choices)
    # Written in English by older versions; the words are now made from `params` at display,
    # in the reader's language (detail_text).
    detail = models.CharField(max_length=100, blank=True)
    # What the reason names: {"parent": "OpenAI"}, {"providers": ["aws"]}, {"minutes": 3}.
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # Stored once per pair, lower id first.
            models.UniqueConstraint(
                fields=["from_incident", "to_incident"], name="one_link_per_pair"
            ),
            models.CheckConstraint(
                condition=Q(from_incident__lt=models.F("to_incident")), name="link_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_incident_id} ~ {self.to_incident_id} ({self.reason})"

    def detail_text(self) -> str:
        """The reason's particulars in the active language ("both OpenAI", "started 3 min
        apart"); a link stored before params existed shows its stored words."""
        params = self.params or {}
        if self.reason == LinkReason.SAME_PARENT and params.get("parent"):
            return gettext("both %(parent)s") % {"parent": params["parent"]}
        if self.reason == LinkReason.SHARED_PROVIDER and params.get("providers"):
            return ", ".join(params["providers"])
        minutes = params.get("minutes")
        if isinstance(minutes, int):
            if minutes >= 60:
                return gettext("started %(h)d h %(m)02d min apart") % {
                    "h": minutes // 60,
                    "m": minutes % 60,
                }
            return gettext("started %(m)d min apart") % {"m": minutes}
        return self.detail
