"""Counts of social posts that say a service is down, and how far each ingester has read.

No post text, author or link is stored: only how many posts per service, country and minute.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outages.models import Level, Service


class Source(models.TextChoices):
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"


class MentionCount(models.Model):
    """Posts saying a service is down, per source, country ("" = unknown) and UTC minute."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    country = CountryField(blank=True)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # The ingesters' upsert target; also the index of one service's series (prefix).
            models.UniqueConstraint(
                fields=["service", "minute", "country", "source"], name="one_mention_count_per_cell"
            )
        ]
        indexes = [
            # mentions.selectors.mention_matrix: every service over a range of minutes.
            models.Index(fields=["minute"], name="mentioncount_minute_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.source} {self.country} {self.minute}: {self.count}"


class IngestCursor(models.Model):
    """Where one ingester has read up to, written in the same transaction as its counts, so a
    restart resumes after the last counted post and never counts one twice."""

    source = models.CharField(max_length=20, choices=Source.choices, unique=True)
    # Jetstream's time_us of the last post counted; Mastodon: the last status id (as a number).
    position = models.BigIntegerField()
    # The time of that post (UTC): how far behind the live stream the ingester is.
    read_until = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source} read until {self.read_until}"


class MentionStatus(models.Model):
    """The detector's verdict on one service's mentions series (worldwide), rewritten each cycle
    by detection.mentions; capped at "possible" while the service's reports are quiet."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.OK)
    score = models.FloatField(default=0.0)
    posts_15m = models.PositiveIntegerField(default=0)
    expected_15m = models.FloatField(null=True, blank=True)
    # The engine's hysteresis memory between cycles (detection.engine.HysteresisState).
    detector_state = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = _("mention statuses")

    def __str__(self) -> str:
        return f"{self.service_id} mentions: {self.level}"
