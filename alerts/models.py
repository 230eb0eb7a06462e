"""Alert subscriptions (email or webhook, no account) and the outbox of their deliveries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outages.models import Incident, Level, Service


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    SLACK = "slack", _("Slack")
    DISCORD = "discord", _("Discord")
    NTFY = "ntfy", "ntfy"


class State(models.TextChoices):
    PENDING = "pending", _("Waiting for email confirmation")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    DISABLED = "disabled", _("Disabled after failed deliveries")


class Event(models.TextChoices):
    OPENED = "opened", _("An incident starts")
    RAISED = "raised", _("Its severity rises")
    ENDED = "ended", _("It ends")


class MinSeverity(models.TextChoices):
    """The least severity a subscription hears about (the detector's levels, ok excluded)."""

    POSSIBLE = Level.POSSIBLE, _("Possible problems, once they have lasted a while")
    OUTAGE = Level.OUTAGE, _("Outages only")


class Subscription(models.Model):
    # The service it was made for (the page's form, the API's `service`): named first in every
    # page and mail. `extra_services` are the others the same subscription covers.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="subscriptions")
    extra_services = models.ManyToManyField(Service, blank=True, related_name="extra_subscriptions")
    # Blank: the service's worldwide incidents; a code: that country's incidents only.
    country = CountryField(blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email = models.EmailField(blank=True)
    # A keyed hash of the inbox the address reaches (alerts.mailboxes): what the mail limits
    # count by and what an inbox's confirmation link names (a hash: no address in any URL).
    mailbox_key = models.CharField(max_length=64, blank=True)
    min_severity = models.CharField(
        max_length=10, choices=MinSeverity.choices, default=MinSeverity.OUTAGE
    )
    webhook_url = models.URLField(max_length=500, blank=True)
    events = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices)
    # Signs webhook bodies (HMAC-SHA256); shown to the subscriber once, when created.
    secret = models.CharField(max_length=64, blank=True)
    # The management link's secret. Kept in clear, like `secret`: every alert mail carries the
    # link (one-click unsubscribe), so it must be recoverable; it guards only this subscription.
    token = models.CharField(max_length=64, unique=True)
    # Mails are written in the language the subscriber used when subscribing.
    language = models.CharField(max_length=10, default="en")
    failures = models.PositiveSmallIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # alerts.receivers: the active subscriptions of one service and scope, per transition.
            models.Index(fields=["service", "country", "state"], name="subscription_scope_idx"),
            # alerts.services.inbox_subscriptions: every subscription of one inbox.
            models.Index(fields=["mailbox_key"], name="subscription_mailbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="email", email__gt="", webhook_url="")
                | (~Q(channel="email") & Q(email="") & Q(webhook_url__gt="")),
                name="subscription_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.service} {self.country or 'global'} ({self.state})"

    def covered_services(self) -> list[Service]:
        """Every service this subscription hears about, the one it was made for first."""
        return [self.service, *self.extra_services.exclude(pk=self.service_id).order_by("name")]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """The outbox: one row per subscription and incident transition, written in the detector's
    transaction; a Celery task sends it and records the outcome."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    transition = models.CharField(max_length=10, choices=Event.choices)
    # The message as it was at the transition (the incident keeps changing afterwards).
    payload = models.JSONField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            # One message per incident transition and subscription, whatever is retried.
            models.UniqueConstraint(
                fields=["subscription", "incident", "transition"], name="one_delivery_per_event"
            )
        ]
        indexes = [
            # alerts.services.deliver_due: the due rows of the outbox.
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.transition} of incident {self.incident_id} to {self.subscription_id}"
