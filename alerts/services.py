"""Alert writes: subscribe, confirm, change; the outbox rows of incident transitions; delivery.

Delivery is at-least-once towards the network and exactly-once in the outbox: each
(subscription, incident, transition) has one row, claimed by one worker with a conditional
UPDATE before anything is sent, and marked sent in the same breath as the answer. A worker
killed between sending and marking leaves a stale claim that is retried after CLAIM_TIMEOUT;
the delivery id in every webhook (`X-Opendown-Delivery`) lets a receiver drop that rare repeat.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing as django_signing
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts import mailboxes, signing
from alerts.models import Channel, Delivery, DeliveryState, Event, MinSeverity, State, Subscription
from common import outbound, ratelimit
from common.clients import network_key
from detection.engine import EngineConfig
from outages.models import Incident, Service

log = logging.getLogger(__name__)

# A claimed delivery not finished within this time belongs to a dead worker: retry it.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Exponential backoff between tries: 1, 2, 4, 8... minutes (tries spread over ~half an hour
# with the default ALERTS_MAX_FAILURES of 5, long enough to ride out a receiver's restart).
BACKOFF_BASE = timedelta(minutes=1)
# One deadline for a whole webhook exchange (lookup, connect, send, every read of the answer):
# a receiver that drips its answer is cut off here, and only the outbound worker waited.
WEBHOOK_DEADLINE_SECONDS = 10
# A receiver's answer is read (to finish the exchange) but only its status matters; anything
# longer than a verification echo's JSON or a short error page is refused unread.
WEBHOOK_MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "opendown-alerts/1"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def manage_url(subscription: Subscription) -> str:
    return site_url(reverse("alerts:manage", args=[subscription.token]))


# The incoming-webhook URLs of services that only accept messages at URLs their own users
# created: such a URL is its own proof that someone wants the messages, so it needs no
# verification handshake (and could not answer one). A URL on one of these hosts that does not
# have the service's shape is refused rather than treated as a generic webhook.
KNOWN_WEBHOOK_SHAPES = {
    "hooks.slack.com": (Channel.SLACK, re.compile(r"/(services|workflows|triggers)/[\w/-]+")),
    "discord.com": (Channel.DISCORD, re.compile(r"/api/webhooks/\d+/[\w-]+")),
    "discordapp.com": (Channel.DISCORD, re.compile(r"/api/webhooks/\d+/[\w-]+")),
    # A topic on the public ntfy server (its rule: 1-64 of letters, digits, _ and -).
    "ntfy.sh": (Channel.NTFY, re.compile(r"/[\w-]{1,64}")),
}


class UnknownShape(ValueError):
    """A URL on a known webhook host that is not one of that service's webhook URLs."""


def channel_for_url(url: str) -> str:
    """Slack, Discord and ntfy get their own payload shape and rules; anything else is a
    generic JSON webhook (which must pass the verification handshake). UnknownShape for a
    URL on one of those hosts that their rules refuse."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    known = KNOWN_WEBHOOK_SHAPES.get(host)
    if known is None:
        return Channel.WEBHOOK
    channel, path = known
    if parsed.scheme != "https" or parsed.port not in (None, 443):
        raise UnknownShape(f"{host} webhooks are https URLs")
    if not path.fullmatch(parsed.path) or parsed.query or parsed.fragment:
        raise UnknownShape(f"not a {channel} webhook URL")
    return channel


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
    extra_services: Sequence[Service] = (),
    min_severity: str = MinSeverity.OUTAGE,
    requester: str = "",
) -> Created:
    """Subscribe an email address (pending until it confirms) or a webhook (active at once),
    to `service` and `extra_services` (one subscription covering them all).

    An email request takes the same steps whether or not the address is already subscribed
    (its answer and its mail say nothing about who is), and the confirmation mail is sent by
    a task, never inside the request (request_confirmation). `requester` is the client key
    (common.clients) the mail limits count by; internal callers (the demo) pass none.
    """
    now = now or timezone.now()
    events = [e for e in Event.values if e in (events or Event.values)]
    covered = {service.pk, *(s.pk for s in extra_services)} - {service.pk}
    if email:
        email = email.strip().lower()
        subscription = _same_email_subscription(service, covered, country, email)
        if subscription is None:
            subscription = Subscription.objects.create(
                service=service,
                country=country,
                channel=Channel.EMAIL,
                email=email,
                mailbox_key=mailboxes.mailbox_key(email),
                events=events,
                min_severity=min_severity,
                state=State.PENDING,
                token=secrets.token_urlsafe(32),
                language=language,
            )
            subscription.extra_services.set(covered)
        request_confirmation(subscription, requester=requester)
        return Created(subscription, None, None)
    channel = channel_for_url(webhook_url)
    # A generic webhook stays pending until its endpoint answers the signed challenge
    # (webhook_verify): nobody can point our alerts at a server that did not ask for them.
    verified = channel != Channel.WEBHOOK
    subscription = Subscription.objects.create(
        service=service,
        country=country,
        channel=channel,
        webhook_url=webhook_url,
        events=events,
        min_severity=min_severity,
        state=State.ACTIVE if verified else State.PENDING,
        secret=secrets.token_hex(32),
        token=secrets.token_urlsafe(32),
        language=language,
        confirmed_at=now if verified else None,
    )
    subscription.extra_services.set(covered)
    if not verified:
        _request_verification(subscription)
    return Created(subscription, subscription.secret, manage_url(subscription))


def _same_email_subscription(
    service: Service, extra: set[int], country: str, email: str
) -> Subscription | None:
    """The existing subscription of this address to exactly these services, if any: asking
    again does not make a second one."""
    candidates = Subscription.objects.filter(
        service=service, country=country, channel=Channel.EMAIL, email=email
    ).prefetch_related("extra_services")
    for candidate in candidates:
        if {s.pk for s in candidate.extra_services.all()} == extra:
            return candidate
    return None


# --- Confirmation mail ------------------------------------------------------------------------
# Who can make us mail an inbox, and how often. Three limits, checked in this order:
# 1. per requester: the client's own daily budget of confirmation requests, then its
#    network's (common.ratelimit checks in that order, so one client refused does not spend
#    its neighbours' budget). Rates: settings' "confirmation_mails" and "..._network".
# 2. per inbox (alerts.mailboxes: +tags and Gmail dots are one inbox): at most one mail per
#    CONFIRMATION_RESEND and CONFIRMATIONS_PER_ADDRESS_PER_DAY a day, whoever asks.
# 3. A victim's own request is never starved by an attacker's: every mail links to the
#    inbox's page (inbox_url), which lists every alert asked for that inbox, the ones asked
#    after the mail too, for INBOX_LINK_DAYS. So when an attacker's requests have spent the
#    inbox's mails, the victim's request is on the page of a mail the inbox already has.
CONFIRMATION_RESEND = timedelta(hours=1)
# Five a day: one person subscribing to a few services in a day gets each answer; a sixth
# mail in a day to one inbox is a flood, and every earlier mail's link lists later requests.
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 5
# A week: as long as an unread mail plausibly waits; the link then expires (it names an inbox).
INBOX_LINK_DAYS = 7
INBOX_SALT = "alerts.inbox"


def request_confirmation(subscription: Subscription, *, requester: str = "") -> bool:
    """Queue the confirmation mail (after commit) if the requester may ask for one; the inbox
    limits are the task's (confirmation_mail). Returns whether a mail was queued."""
    if requester and ratelimit.refused(
        [("confirmation_mails", requester), ("confirmation_mails_network", network_key(requester))]
    ):
        return False
    from alerts.tasks import send_confirmation  # the task module imports this one

    pk = subscription.pk
    transaction.on_commit(lambda: send_confirmation.delay(pk))
    return True


def _inbox_allowance_left(key: str, now: datetime) -> bool:
    """Claims one of the inbox's mails: none sent in the last CONFIRMATION_RESEND, and fewer
    than CONFIRMATIONS_PER_ADDRESS_PER_DAY today. Without a cache the database says whether
    one went out within the hour (the daily count is the cache's)."""
    day = int(now.timestamp() // 86400)
    try:
        if not cache.add(f"alerts:inbox:{key}:recent", 1, timeout=CONFIRMATION_RESEND.seconds):
            return False
        cache.add(f"alerts:inbox:{key}:{day}", 0, timeout=86400 + 1)
        return cache.incr(f"alerts:inbox:{key}:{day}") <= CONFIRMATIONS_PER_ADDRESS_PER_DAY
    except Exception:  # the cache is down: one mail an hour still holds, from the database
        return not Subscription.objects.filter(
            mailbox_key=key, confirmation_sent_at__gt=now - CONFIRMATION_RESEND
        ).exists()


def confirmation_mail(subscription_id: int, *, now: datetime | None = None) -> bool:
    """Send the confirmation mail of a subscription's inbox if its limits allow (the task)."""
    now = now or timezone.now()
    subscription = Subscription.objects.select_related("service").filter(pk=subscription_id).first()
    if subscription is None or not subscription.mailbox_key:
        return False  # deleted meanwhile
    if not _inbox_allowance_left(subscription.mailbox_key, now):
        return False
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=now)
    with translation.override(subscription.language):
        context = {
            "subscription": subscription,
            "services": subscription.covered_services(),
            "inbox_url": inbox_url(subscription.mailbox_key),
            "days": INBOX_LINK_DAYS,
        }
        message = EmailMessage(
            subject=_("Confirm your opendown alerts for %(service)s")
            % {"service": subscription.service.name},
            body=render_to_string("alerts/email/confirm.txt", context),
            to=[subscription.email],
        )
    message.send()  # EMAIL_TIMEOUT bounds it; an error fails the task, logged by Celery
    return True


def inbox_url(key: str) -> str:
    token = django_signing.TimestampSigner(salt=INBOX_SALT).sign(key)
    return site_url(reverse("alerts:inbox", args=[token]))


def inbox_key_from(token: str) -> str | None:
    """The inbox a confirmation link names, or None when forged or older than a week."""
    try:
        return django_signing.TimestampSigner(salt=INBOX_SALT).unsign(
            token, max_age=timedelta(days=INBOX_LINK_DAYS)
        )
    except django_signing.BadSignature:
        return None


def inbox_subscriptions(key: str) -> list[Subscription]:
    """Every email subscription of one inbox, newest first."""
    return list(
        Subscription.objects.filter(mailbox_key=key, channel=Channel.EMAIL)
        .select_related("service")
        .prefetch_related("extra_services")
        .order_by("-created_at")
    )


def subscription_confirm(subscription: Subscription, *, now: datetime | None = None) -> None:
    """An email address confirms by its link; a webhook only by answering the challenge
    (whoever holds its management link may not be whoever runs the endpoint)."""
    if subscription.channel == Channel.WEBHOOK:
        _request_verification(subscription)
        return
    Subscription.objects.filter(pk=subscription.pk, state=State.PENDING).update(
        state=State.ACTIVE, confirmed_at=now or timezone.now()
    )
    subscription.refresh_from_db()


def subscription_update(
    subscription: Subscription,
    *,
    events: list[str] | None = None,
    paused: bool | None = None,
    min_severity: str | None = None,
) -> Subscription:
    """Change what a subscription hears, pause or resume it. Resuming a disabled one starts
    its failure count afresh; a pending one stays pending until confirmed."""
    if events is not None:
        subscription.events = [e for e in Event.values if e in events]
    if min_severity is not None:
        subscription.min_severity = min_severity
    if paused is True and subscription.state in (State.ACTIVE, State.DISABLED):
        subscription.state = State.PAUSED
    elif paused is False and subscription.state == State.PENDING:
        if subscription.channel == Channel.WEBHOOK:  # an email address confirms by its link
            _request_verification(subscription)
    elif paused is False and subscription.state in (State.PAUSED, State.DISABLED):
        subscription.state = State.ACTIVE
        subscription.failures = 0
        subscription.disabled_reason = ""
    subscription.save(
        update_fields=["events", "state", "failures", "disabled_reason", "min_severity"]
    )
    return subscription


def subscription_delete(subscription: Subscription) -> None:
    subscription.delete()


# --- The outbox -------------------------------------------------------------------------------


def transition_time(incident: Incident, transition: str) -> datetime:
    if transition == Event.ENDED and incident.ended_at is not None:
        return incident.ended_at
    return incident.started_at if transition == Event.OPENED else incident.peak_at


# Severities in order; a subscription hears incidents at or above its min_severity.
SEVERITY_RANK = {MinSeverity.POSSIBLE: 1, MinSeverity.OUTAGE: 2}


def possible_hold() -> timedelta:
    """How long "possible problems" must have lasted before they are worth a message: the
    detector's own fall time (detection.engine.EngineConfig.fall_minutes, 15 min), the time a
    calm must last before it calls an incident over. An excess that lasted as long as it takes
    to end one is more than a blip: the harmless bursts that still make "possible" incidents
    last 2-12 minutes (issue 26's held-out streams), and an outage that is real has by then
    either held or risen to "outage" (alerted at once)."""
    return timedelta(minutes=EngineConfig().fall_minutes)


def record_incident_change(incident: Incident, transition: str, *, now: datetime) -> int:
    """Write one outbox row per active subscription that wants this transition and this
    severity; called inside the detector's transaction. Returns how many rows were written.

    A subscription covers its own service and its extra services. "Possible" openings are
    written due only once the excess has held for possible_hold(); the delivery checks again
    then (deliver_one) and drops one that ended sooner or was overtaken by an outage. An end
    is announced only to subscriptions told of the start.

    Transitions older than ALERTS_MAX_EVENT_AGE_MINUTES are history being replayed (the
    detector's backfill, a catch-up after downtime): an alert about them would be noise.
    """
    age = now - transition_time(incident, transition)
    if age > timedelta(minutes=settings.ALERTS_MAX_EVENT_AGE_MINUTES):
        return 0
    subscriptions = Subscription.objects.filter(
        Q(service_id=incident.service_id) | Q(extra_services=incident.service_id),
        country=incident.country,
        state=State.ACTIVE,
    ).distinct()
    rank = SEVERITY_RANK.get(incident.severity, 2)
    told = set()
    if transition == Event.ENDED:
        if (
            rank < SEVERITY_RANK[MinSeverity.OUTAGE]
            and incident.ended_at is not None
            and (incident.ended_at - incident.started_at < possible_hold())
        ):  # the deferred openings will not be sent: the end is no news either
            Delivery.objects.filter(
                incident_id=incident.pk, transition=Event.OPENED, state=DeliveryState.PENDING
            ).update(state=DeliveryState.FAILED, last_error=NOT_HELD)
        told = set(
            Delivery.objects.filter(incident_id=incident.pk)
            .exclude(transition=Event.ENDED)
            .exclude(state=DeliveryState.FAILED, last_error=NOT_HELD)
            .values_list("subscription_id", flat=True)
        )
    due = now
    if transition == Event.OPENED and rank < SEVERITY_RANK[MinSeverity.OUTAGE]:
        due = max(now, incident.started_at + possible_hold())
    payload = incident_payload(incident, transition)
    rows = [
        Delivery(
            subscription=s,
            incident_id=incident.pk,
            transition=transition,
            payload=payload,
            next_attempt_at=due,
        )
        for s in subscriptions
        if transition in s.events
        and rank >= SEVERITY_RANK.get(s.min_severity, 2)
        and (transition != Event.ENDED or s.pk in told or Event.OPENED not in s.events)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    if rows and due <= now:
        from alerts.tasks import deliver_due  # the task module imports this one

        transaction.on_commit(deliver_due.delay)
    return len(rows)


# Why a deferred "possible" opening was dropped instead of sent.
NOT_HELD = "possible problems did not last"


def _not_worth_sending(delivery: Delivery) -> bool:
    """A deferred "possible" opening whose incident ended before it held, or rose to an
    outage meanwhile (the "raised" message says so): sending it now would be noise."""
    if delivery.transition != Event.OPENED or delivery.payload["incident"]["severity"] != (
        MinSeverity.POSSIBLE
    ):
        return False
    incident = Incident.objects.filter(pk=delivery.incident_id).first()
    if incident is None:
        return True
    if incident.ended_at is not None and incident.ended_at - incident.started_at < possible_hold():
        return True
    return Delivery.objects.filter(
        subscription_id=delivery.subscription_id,
        incident_id=delivery.incident_id,
        transition=Event.RAISED,
    ).exists()


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
    sent, started = 0, time.monotonic()
    for pk, state, claimed_at in list(due):
        # Claim it: only one worker can move this row out of the state it just read. Stamped
        # with the time of the claim, not of the batch: rows claimed after a run of slow
        # receivers (each up to WEBHOOK_DEADLINE_SECONDS) must not look stale at once.
        claim_time = now + timedelta(seconds=time.monotonic() - started)
        claimed = Delivery.objects.filter(pk=pk, state=state, claimed_at=claimed_at).update(
            state=DeliveryState.SENDING, claimed_at=claim_time
        )
        if claimed:
            sent += deliver_one(Delivery.objects.select_related("subscription").get(pk=pk), now)
    return sent


def deliver_one(delivery: Delivery, now: datetime) -> bool:
    subscription = delivery.subscription
    if _not_worth_sending(delivery):
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, last_error=NOT_HELD
        )
        return False
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
    except Exception as error:  # a bug must cost this row a try, not the rest of the batch
        log.exception("delivery %s failed", delivery.pk)
        _record_failure(delivery, f"internal error: {type(error).__name__}", now)
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


def _post(subscription: Subscription, body: bytes, headers: dict[str, str]) -> outbound.Response:
    """POST a signed body to the subscription's URL; DeliveryError unless it answers 2xx.

    Through common.outbound: the address is checked and pinned, no redirect is followed (a
    redirect could only point the POST somewhere nobody verified), one total deadline.
    """
    url = subscription.webhook_url
    host = urllib.parse.urlsplit(url).hostname or ""
    headers = {
        "User-Agent": USER_AGENT,
        **headers,
        signing.HEADER: signing.sign(subscription.secret, body, int(time.time())),
    }
    try:
        response = outbound.request(
            "POST",
            url,
            headers=headers,
            content=body,
            deadline=WEBHOOK_DEADLINE_SECONDS,
            max_bytes=WEBHOOK_MAX_ANSWER_BYTES,
            allow_private=settings.ALERTS_ALLOW_PRIVATE_TARGETS,
        )
    except outbound.RefusedAddress as error:
        raise DeliveryError(f"{host} is not a public address: {error}") from error
    except outbound.OutboundError as error:
        raise DeliveryError(f"{host}: {error}") from error
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status} from {host}")
    return response


def _post_webhook(delivery: Delivery) -> None:
    shaped = webhook_body(delivery)
    text = isinstance(shaped, str)
    body = shaped.encode() if text else json.dumps(shaped, separators=(",", ":")).encode()
    _post(
        delivery.subscription,
        body,
        {
            "Content-Type": "text/plain; charset=utf-8" if text else "application/json",
            "X-Opendown-Delivery": str(delivery.pk),
            "X-Opendown-Event": delivery.transition,
        },
    )


# --- Webhook verification ---------------------------------------------------------------------

VERIFICATION_EVENT = "url_verification"
# A pending webhook's endpoint is asked at most once per CONFIRMATION_RESEND (the same rule as
# confirmation mails): whoever holds a management link cannot make us POST to it at will.
VERIFICATION_RESEND = CONFIRMATION_RESEND


def _request_verification(subscription: Subscription) -> None:
    from alerts.tasks import verify_webhook  # the task module imports this one

    pk = subscription.pk
    transaction.on_commit(lambda: verify_webhook.delay(pk))


def _echoes(answer: bytes, challenge: str) -> bool:
    """Slack's rule: the challenge as the whole plain-text body, or JSON {"challenge": ...}."""
    try:
        text = answer.decode().strip()
        parsed = json.loads(text) if text.startswith("{") else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    echoed = parsed.get("challenge") if isinstance(parsed, dict) else text
    return isinstance(echoed, str) and hmac.compare_digest(echoed.encode(), challenge.encode())


def webhook_verify(subscription: Subscription, *, now: datetime | None = None) -> bool:
    """Send a pending webhook the signed verification request; activate it if the answer
    echoes the challenge. True when the subscription is active afterwards.

    The request: POST {"type": "url_verification", "challenge": "...", "service": slug},
    header X-Opendown-Event: url_verification, signed like every delivery.
    """
    now = now or timezone.now()
    if subscription.channel != Channel.WEBHOOK or subscription.state != State.PENDING:
        return subscription.state == State.ACTIVE
    sent = subscription.confirmation_sent_at
    if sent is not None and now - sent < VERIFICATION_RESEND:
        return False
    claimed = Subscription.objects.filter(
        pk=subscription.pk, state=State.PENDING, confirmation_sent_at=sent
    ).update(confirmation_sent_at=now)
    if not claimed:  # another worker is asking, or it was just verified
        return False
    challenge = secrets.token_urlsafe(32)
    body = json.dumps(
        {
            "type": VERIFICATION_EVENT,
            "challenge": challenge,
            "service": subscription.service.slug,
        },
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", "X-Opendown-Event": VERIFICATION_EVENT}
    try:
        response = _post(subscription, body, headers)
    except DeliveryError as error:
        reason = f"verification request failed: {error}"
    else:
        if _echoes(response.body, challenge):
            verified = Subscription.objects.filter(pk=subscription.pk, state=State.PENDING).update(
                state=State.ACTIVE, confirmed_at=now, disabled_reason=""
            )
            subscription.refresh_from_db()
            return bool(verified) or subscription.state == State.ACTIVE
        reason = "the answer to the verification request did not echo its challenge"
    Subscription.objects.filter(pk=subscription.pk).update(disabled_reason=reason[:300])
    subscription.refresh_from_db()
    log.info("webhook subscription %s not verified: %s", subscription.pk, reason)
    return False
