"""Alert writes: subscribe, confirm, change; the outbox rows of incident transitions; delivery.

Delivery is at-least-once towards the network and exactly-once in the outbox: each
(subscription, incident, transition) has one row, claimed by one worker with a conditional
UPDATE before anything is sent, and marked sent in the same breath as the answer. A worker
killed between sending and marking leaves a stale claim that is retried after CLAIM_TIMEOUT;
the delivery id in every webhook (`X-Opendown-Delivery`) lets a receiver drop that rare repeat.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts import signing
from alerts.models import Channel, Delivery, DeliveryState, Event, State, Subscription
from outages.models import Incident, Service

log = logging.getLogger(__name__)

# A claimed delivery not finished within this time belongs to a dead worker: retry it.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Exponential backoff between tries: 1, 2, 4, 8... minutes (tries spread over ~half an hour
# with the default ALERTS_MAX_FAILURES of 5, long enough to ride out a receiver's restart).
BACKOFF_BASE = timedelta(minutes=1)
WEBHOOK_TIMEOUT_SECONDS = 10
USER_AGENT = "opendown-alerts/1"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def manage_url(subscription: Subscription) -> str:
    return site_url(reverse("alerts:manage", args=[subscription.token]))


def channel_for_url(url: str) -> str:
    """Slack and Discord incoming webhooks get their own payload shape; anything else JSON."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    if host == "hooks.slack.com":
        return Channel.SLACK
    if host in {"discord.com", "discordapp.com"} and parsed.path.startswith("/api/webhooks/"):
        return Channel.DISCORD
    if host == "ntfy.sh":  # a topic URL on the public ntfy server: plain-text notifications
        return Channel.NTFY
    return Channel.WEBHOOK


def public_address(host: str) -> bool:
    """True when every address `host` resolves to is public (no loopback, private network,
    link-local or metadata address): a webhook must not reach into our own network."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global and not a.is_multicast for a in addresses)


@dataclass
class Created:
    subscription: Subscription
    # Shown once (the API answer, the form's result page); None for email subscriptions.
    secret: str | None
    manage_url: str | None


def subscription_create(
    *,
    service: Service,
    country: str = "",
    email: str = "",
    webhook_url: str = "",
    events: list[str] | None = None,
    language: str = "en",
    now: datetime | None = None,
) -> Created:
    """Subscribe an email address (pending until it confirms) or a webhook (active at once).

    Subscribing an address again does not make a second subscription; it resends the
    confirmation at most once per CONFIRMATION_RESEND, so the form cannot mail-bomb anyone.
    """
    now = now or timezone.now()
    events = [e for e in Event.values if e in (events or Event.values)]
    if email:
        email = email.strip().lower()
        existing = Subscription.objects.filter(
            service=service, country=country, channel=Channel.EMAIL, email=email
        ).first()
        if existing is not None:
            if existing.state == State.PENDING:
                _send_confirmation(existing, now=now)
            return Created(existing, None, None)
        subscription = Subscription.objects.create(
            service=service,
            country=country,
            channel=Channel.EMAIL,
            email=email,
            events=events,
            state=State.PENDING,
            token=secrets.token_urlsafe(32),
            language=language,
        )
        _send_confirmation(subscription, now=now)
        return Created(subscription, None, None)
    subscription = Subscription.objects.create(
        service=service,
        country=country,
        channel=channel_for_url(webhook_url),
        webhook_url=webhook_url,
        events=events,
        state=State.ACTIVE,
        secret=secrets.token_hex(32),
        token=secrets.token_urlsafe(32),
        language=language,
        confirmed_at=now,
    )
    return Created(subscription, subscription.secret, manage_url(subscription))


CONFIRMATION_RESEND = timedelta(hours=1)
# Confirmation mails to one address per day, whatever the services and whoever asks: a form
# that mails anyone must not become a way to flood someone's inbox.
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 5


def _address_allowance_left(email: str) -> bool:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{email}".encode()).hexdigest()[:32]
    key = f"alerts:confirmations:{digest}:{int(time.time() // 86400)}"
    try:
        cache.add(key, 0, timeout=86400 + 1)
        return cache.incr(key) <= CONFIRMATIONS_PER_ADDRESS_PER_DAY
    except Exception:  # the cache is down: the per-subscription hourly limit still holds
        return True


def _send_confirmation(subscription: Subscription, *, now: datetime) -> bool:
    """The only mail an unconfirmed address ever gets; at most one per CONFIRMATION_RESEND."""
    sent = subscription.confirmation_sent_at
    if sent is not None and now - sent < CONFIRMATION_RESEND:
        return False
    if not _address_allowance_left(subscription.email):
        return False
    claimed = Subscription.objects.filter(pk=subscription.pk, confirmation_sent_at=sent).update(
        confirmation_sent_at=now
    )
    if not claimed:  # another request is sending it
        return False
    subscription.confirmation_sent_at = now
    with translation.override(subscription.language):
        context = {"subscription": subscription, "manage_url": manage_url(subscription)}
        message = EmailMessage(
            subject=_("Confirm your opendown alerts for %(service)s")
            % {"service": subscription.service.name},
            body=render_to_string("alerts/email/confirm.txt", context),
            to=[subscription.email],
        )
    message.send()
    return True


def subscription_confirm(subscription: Subscription, *, now: datetime | None = None) -> None:
    Subscription.objects.filter(pk=subscription.pk, state=State.PENDING).update(
        state=State.ACTIVE, confirmed_at=now or timezone.now()
    )
    subscription.refresh_from_db()


def subscription_update(
    subscription: Subscription, *, events: list[str] | None = None, paused: bool | None = None
) -> Subscription:
    """Change what a subscription hears, pause or resume it. Resuming a disabled one starts
    its failure count afresh; a pending one stays pending until confirmed."""
    if events is not None:
        subscription.events = [e for e in Event.values if e in events]
    if paused is True and subscription.state in (State.ACTIVE, State.DISABLED):
        subscription.state = State.PAUSED
    elif paused is False and subscription.state in (State.PAUSED, State.DISABLED):
        subscription.state = State.ACTIVE
        subscription.failures = 0
        subscription.disabled_reason = ""
    subscription.save(update_fields=["events", "state", "failures", "disabled_reason"])
    return subscription


def subscription_delete(subscription: Subscription) -> None:
    subscription.delete()


# --- The outbox -------------------------------------------------------------------------------


def transition_time(incident: Incident, transition: str) -> datetime:
    if transition == Event.ENDED and incident.ended_at is not None:
        return incident.ended_at
    return incident.started_at if transition == Event.OPENED else incident.peak_at


def record_incident_change(incident: Incident, transition: str, *, now: datetime) -> int:
    """Write one outbox row per active subscription that wants this transition; called inside
    the detector's transaction. Returns how many rows were written.

    Transitions older than ALERTS_MAX_EVENT_AGE_MINUTES are history being replayed (the
    detector's backfill, a catch-up after downtime): an alert about them would be noise.
    """
    age = now - transition_time(incident, transition)
    if age > timedelta(minutes=settings.ALERTS_MAX_EVENT_AGE_MINUTES):
        return 0
    subscriptions = Subscription.objects.filter(
        service_id=incident.service_id, country=incident.country, state=State.ACTIVE
    )
    payload = incident_payload(incident, transition)
    rows = [
        Delivery(
            subscription=s,
            incident_id=incident.pk,
            transition=transition,
            payload=payload,
            next_attempt_at=now,
        )
        for s in subscriptions
        if transition in s.events
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        from alerts.tasks import deliver_due  # the task module imports this one

        transaction.on_commit(deliver_due.delay)
    return len(rows)


def incident_payload(incident: Incident, transition: str) -> dict:
    service = Service.objects.only("slug", "name").get(pk=incident.service_id)
    return {
        "event": transition,
        "service": {"slug": service.slug, "name": service.name},
        "country": incident.country or None,
        "incident": {
            "id": incident.pk,
            "severity": incident.severity,
            "started_at": incident.started_at.isoformat(),
            "peak_at": incident.peak_at.isoformat(),
            "peak_reports": incident.peak_reports,
            "ended_at": incident.ended_at.isoformat() if incident.ended_at else None,
            "url": site_url(reverse("outages:incident", args=[incident.pk])),
        },
        "status_url": site_url(reverse("outages:service", args=[service.slug])),
    }


def alert_text(payload: dict) -> str:
    """One line for people (mail subject, Slack, Discord), in the active language."""
    values = {
        "service": payload["service"]["name"],
        "where": payload["country"] or _("worldwide"),
    }
    event, severity = payload["event"], payload["incident"]["severity"]
    if event == Event.ENDED:
        return _("%(service)s (%(where)s): the reported problems have ended") % values
    if event == Event.RAISED:
        return _("%(service)s (%(where)s): reports now indicate an outage") % values
    if severity == "outage":
        return _("%(service)s (%(where)s): user reports indicate an outage") % values
    return _("%(service)s (%(where)s): user reports indicate possible problems") % values


# --- Delivery ---------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A try failed in a way worth retrying later (network, 5xx, 429...)."""


def deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send every due outbox row (and retry stale claims); returns how many were sent."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        | Q(state=DeliveryState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    ).values_list("pk", "state", "claimed_at")[:limit]
    sent = 0
    for pk, state, claimed_at in list(due):
        # Claim it: only one worker can move this row out of the state it just read.
        claimed = Delivery.objects.filter(pk=pk, state=state, claimed_at=claimed_at).update(
            state=DeliveryState.SENDING, claimed_at=now
        )
        if claimed:
            sent += deliver_one(Delivery.objects.select_related("subscription").get(pk=pk), now)
    return sent


def deliver_one(delivery: Delivery, now: datetime) -> bool:
    subscription = delivery.subscription
    if subscription.state != State.ACTIVE:
        # Paused or disabled since the transition: drop it rather than surprise them later.
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, last_error="subscription not active"
        )
        return False
    try:
        send(delivery)
    except DeliveryError as error:
        _record_failure(delivery, str(error)[:300], now)
        return False
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SENT, sent_at=now, attempts=delivery.attempts + 1, last_error=""
        )
        Subscription.objects.filter(pk=subscription.pk).update(failures=0)
    return True


def _record_failure(delivery: Delivery, error: str, now: datetime) -> None:
    attempts = delivery.attempts + 1
    subscription = delivery.subscription
    with transaction.atomic():
        if attempts >= settings.ALERTS_MAX_FAILURES:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.FAILED, attempts=attempts, last_error=error
            )
            Subscription.objects.filter(pk=subscription.pk).update(
                state=State.DISABLED,
                failures=attempts,
                disabled_reason=(f"{attempts} failed tries to deliver an alert; last: {error}")[
                    :300
                ],
            )
            log.warning("alert subscription %s disabled: %s", subscription.pk, error)
            return
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING,
            attempts=attempts,
            last_error=error,
            next_attempt_at=now + BACKOFF_BASE * 2 ** (attempts - 1),
        )
        Subscription.objects.filter(pk=subscription.pk).update(failures=attempts)


def send(delivery: Delivery) -> None:
    subscription = delivery.subscription
    with translation.override(subscription.language):
        if subscription.channel == Channel.EMAIL:
            _send_email(delivery)
        else:
            _post_webhook(delivery)


def _send_email(delivery: Delivery) -> None:
    subscription = delivery.subscription
    unsubscribe = site_url(reverse("alerts:unsubscribe", args=[subscription.token]))
    context = {
        "payload": delivery.payload,
        "text": alert_text(delivery.payload),
        "manage_url": manage_url(subscription),
        "unsubscribe_url": unsubscribe,
    }
    message = EmailMessage(
        subject=alert_text(delivery.payload),
        body=render_to_string("alerts/email/alert.txt", context),
        to=[subscription.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    try:
        message.send()
    except OSError as error:  # SMTP refused or unreachable
        raise DeliveryError(f"mail: {error}") from error


def webhook_body(delivery: Delivery) -> dict | str:
    """What each kind of target expects: Slack's `text`, Discord's `content`, ntfy's plain
    text, or our JSON."""
    subscription, payload = delivery.subscription, delivery.payload
    line = f"{alert_text(payload)}: {payload['incident']['url']}"
    if subscription.channel == Channel.SLACK:
        return {"text": line}
    if subscription.channel == Channel.DISCORD:
        return {"content": line, "allowed_mentions": {"parse": []}}
    if subscription.channel == Channel.NTFY:
        return line
    return {**payload, "delivery": delivery.pk, "text": alert_text(payload)}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could point a webhook at our own network after the address check.
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post_webhook(delivery: Delivery) -> None:
    subscription = delivery.subscription
    url = subscription.webhook_url
    host = urllib.parse.urlsplit(url).hostname or ""
    if not settings.ALERTS_ALLOW_PRIVATE_TARGETS and not public_address(host):
        raise DeliveryError(f"{host} is not a public address")
    shaped = webhook_body(delivery)
    text = isinstance(shaped, str)
    body = shaped.encode() if text else json.dumps(shaped, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "text/plain; charset=utf-8" if text else "application/json",
        "User-Agent": USER_AGENT,
        "X-Opendown-Delivery": str(delivery.pk),
        "X-Opendown-Event": delivery.transition,
        signing.HEADER: signing.sign(subscription.secret, body, int(time.time())),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} from {host}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryError(f"{host}: {getattr(error, 'reason', error)}") from error
