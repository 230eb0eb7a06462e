"""Alerts on the crowd signal: subscriptions, the outbox written with the incident, delivery."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alerts import services, signing
from alerts.models import Channel, Delivery, DeliveryState, State, Subscription
from detection import services as detection
from detection.signals import incident_changed
from outages.models import Incident
from tests.alerts.conftest import mail_link, verified_without_asking
from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import store_minute_counts, with_throttle_rates

pytestmark = pytest.mark.django_db
SPIKE_AT = datetime(2024, 12, 11, 18, 0, tzinfo=UTC)


@pytest.fixture
def spiky():
    """A service with two quiet weeks and then an hour-long outage starting at SPIKE_AT."""
    service = ServiceFactory(slug="spiky", name="Spiky", problems=["app"])
    rng = np.random.default_rng(3)
    start = SPIKE_AT - timedelta(days=14)
    minutes = 14 * 24 * 60 + 180
    counts = rng.poisson(1.0, size=minutes)
    counts[14 * 24 * 60 : 14 * 24 * 60 + 60] += rng.poisson(40, size=60)
    store_minute_counts(service, start, counts)
    with time_machine.travel(SPIKE_AT - timedelta(minutes=30), tick=False):
        detection.refresh_baselines()
        detection.detect_spikes()
    return service


def webhook(service, url, events=("opened", "raised", "ended"), **kwargs) -> Subscription:
    """A subscription as its owner gets it: created, then verified by its endpoint (the
    `receiver` fixture echoes the challenge; Slack, Discord and ntfy URLs need none)."""
    subscription = services.subscription_create(
        service=service, webhook_url=url, events=list(events), **kwargs
    ).subscription
    if subscription.state == State.PENDING:
        assert services.webhook_verify(subscription)
    return subscription


def detect_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        detection.detect_spikes()


def test_detected_outage_writes_one_outbox_row_per_interested_subscription(spiky, receiver):
    wants_open = webhook(spiky, receiver.url, events=["opened"])
    webhook(spiky, receiver.url, events=["ended"])
    webhook(ServiceFactory(slug="other"), receiver.url)

    detect_at(SPIKE_AT + timedelta(minutes=6))

    delivery = Delivery.objects.get()
    assert (delivery.subscription, delivery.transition) == (wants_open, "opened")
    assert delivery.incident == Incident.objects.get(service=spiky, country="")


def test_outbox_row_is_rolled_back_with_the_incident_change(receiver):
    service = ServiceFactory()
    webhook(service, receiver.url)
    incident = IncidentFactory(service=service, severity="outage")

    with pytest.raises(RuntimeError), transaction.atomic():
        incident_changed.send(Incident, incident=incident, transition="opened")
        assert Delivery.objects.count() == 1
        raise RuntimeError("the detector's transaction fails after the signal")

    assert Delivery.objects.count() == 0


def test_the_end_of_the_outage_is_one_more_message(spiky, receiver):
    webhook(spiky, receiver.url)
    detect_at(SPIKE_AT + timedelta(minutes=6))
    for minutes in (40, 80, 120):
        detect_at(SPIKE_AT + timedelta(minutes=minutes))

    assert sorted(Delivery.objects.values_list("transition", flat=True)) == ["ended", "opened"]


def test_replayed_history_sends_no_alert(spiky, receiver):
    webhook(spiky, receiver.url)

    detection.backfill(SPIKE_AT - timedelta(hours=1), SPIKE_AT + timedelta(hours=2))

    assert Incident.objects.filter(service=spiky).exists()
    assert Delivery.objects.count() == 0


def test_webhook_delivery_is_signed_with_the_subscription_secret(receiver):
    service = ServiceFactory()
    subscription = webhook(service, receiver.url)
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )

    assert services.deliver_due() == 1

    request = receiver.requests[0]
    header = request["headers"][signing.HEADER]
    assert signing.verify(subscription.secret, request["body"], header, now=time.time())
    assert not signing.verify("another-secret", request["body"], header, now=time.time())
    body = json.loads(request["body"])
    assert body["event"] == "opened" and body["service"]["slug"] == service.slug


def test_a_signature_replayed_later_is_refused(receiver):
    body = b'{"event":"opened"}'
    header = signing.sign("s3cret", body, timestamp=1_700_000_000)

    assert signing.verify("s3cret", body, header, now=1_700_000_060)
    assert not signing.verify("s3cret", body, header, now=1_700_000_000 + 3600)


def test_a_retried_delivery_task_sends_each_message_once(receiver):
    service = ServiceFactory()
    webhook(service, receiver.url)
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )

    services.deliver_due()
    services.deliver_due()  # the task redelivered after the worker acknowledged nothing

    assert len(receiver.requests) == 1
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_failed_delivery_is_retried_after_an_exponential_backoff(receiver):
    service = ServiceFactory()
    webhook(service, receiver.url)
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    receiver.status = 503
    now = timezone.now()

    services.deliver_due(now=now)
    services.deliver_due(now=now + timedelta(seconds=59))  # not yet due
    services.deliver_due(now=now + timedelta(seconds=61))

    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 2
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == now + timedelta(seconds=61) + timedelta(minutes=2)
    receiver.status = 200
    services.deliver_due(now=delivery.next_attempt_at)
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_receiver_that_keeps_failing_disables_its_subscription(receiver, client, settings):
    settings.ALERTS_MAX_FAILURES = 3
    service = ServiceFactory()
    subscription = webhook(service, receiver.url)
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    receiver.status = 500
    now = timezone.now()

    for minutes in (0, 2, 5, 10):
        services.deliver_due(now=now + timedelta(minutes=minutes))

    subscription.refresh_from_db()
    assert len(receiver.requests) == 3
    assert subscription.state == State.DISABLED
    page = client.get(f"/alerts/{subscription.token}/")
    assert b"HTTP 500" in page.content
    assert b'data-state="disabled"' in page.content


def test_slack_and_discord_get_their_own_payload_shape(receiver):
    service = ServiceFactory(name="Zoom")
    slack = webhook(service, "https://hooks.slack.com/services/T0/B0/x")
    discord = webhook(service, "https://discord.com/api/webhooks/1/abc")
    incident = IncidentFactory(service=service, severity="outage")
    for subscription in (slack, discord):
        delivery = Delivery(subscription=subscription, incident=incident, transition="opened")
        delivery.payload = services.incident_payload(incident, "opened")

        body = services.webhook_body(delivery)

        text = body.get("text") or body.get("content")
        assert text.startswith("Zoom (worldwide): user reports indicate an outage")
    assert (slack.channel, discord.channel) == (Channel.SLACK, Channel.DISCORD)
    assert "content" in services.webhook_body(
        Delivery(subscription=discord, payload=services.incident_payload(incident, "opened"))
    )


def test_email_subscription_waits_for_confirmation_and_gets_only_that_mail(client, mail_task):
    service = ServiceFactory(slug="zoom", name="Zoom")

    with mail_task():
        created = services.subscription_create(service=service, email="Ana@Example.org")
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    services.deliver_due()

    assert created.subscription.state == State.PENDING
    assert Delivery.objects.count() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    inbox = client.get(mail_link(mail.outbox[0]))
    assert f"/alerts/{created.subscription.token}/" not in mail.outbox[0].body
    assert b'data-state="pending"' in inbox.content


def test_subscribing_an_address_again_does_not_mail_it_again_within_the_hour(mail_task):
    service = ServiceFactory()
    with mail_task():
        services.subscription_create(service=service, email="ana@example.org")
        services.subscription_create(service=service, email="ana@example.org")

    assert Subscription.objects.count() == 1
    assert len(mail.outbox) == 1


def test_confirmed_email_alert_carries_a_one_click_unsubscribe(client):
    service = ServiceFactory()
    subscription = services.subscription_create(service=service, email="a@example.org").subscription
    client.post(f"/alerts/{subscription.token}/", {"action": "confirm"})
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )

    services.deliver_due()

    alert = mail.outbox[-1]
    unsubscribe = f"/alerts/{subscription.token}/unsubscribe/"
    assert unsubscribe in alert.extra_headers["List-Unsubscribe"]
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in alert.body
    response = client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_unsubscribe_link_opened_by_a_mail_scanner_deletes_nothing(client):
    subscription = services.subscription_create(
        service=ServiceFactory(), email="a@example.org"
    ).subscription

    client.get(f"/alerts/{subscription.token}/unsubscribe/")

    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_api_subscribes_a_webhook_and_shows_its_secret_once(api_client, receiver):
    ServiceFactory(slug="chatgpt")

    response = api_client.post(
        "/api/v1/subscriptions/",
        {"service": "chatgpt", "country": "IN", "webhook_url": receiver.url, "events": ["opened"]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    subscription = Subscription.objects.get()
    # Pending until its endpoint answers the signed challenge (test_webhook_verification.py).
    assert body["state"] == "pending" and body["country"] == "IN"
    assert body["secret"] == subscription.secret
    assert body["manage_url"].endswith(f"/alerts/{subscription.token}/")


def test_api_email_subscription_is_pending_and_does_not_reveal_the_management_link(api_client):
    ServiceFactory(slug="chatgpt")

    response = api_client.post(
        "/api/v1/subscriptions/", {"service": "chatgpt", "email": "a@example.org"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert response.json()["manage_url"] is None and response.json()["secret"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"service": "chatgpt"},
        {"service": "chatgpt", "email": "a@example.org", "webhook_url": "https://e.org/h"},
        {"service": "nope", "email": "a@example.org"},
        {"service": "chatgpt", "email": "a\x00@example.org"},
        {"service": "chatgpt", "webhook_url": "ftp://example.org/"},
        {"service": "chatgpt", "email": "a@example.org", "events": ["exploded"]},
        {"service": "chatgpt", "email": "a@example.org", "country": "XX"},
    ],
)
def test_api_refuses_bad_subscriptions_with_field_messages(api_client, body):
    ServiceFactory(slug="chatgpt")

    response = api_client.post("/api/v1/subscriptions/", body, format="json")

    assert response.status_code == 400
    assert response.json()
    assert not Subscription.objects.exists()


def test_webhooks_to_our_own_network_are_refused_in_production(api_client, settings):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = False
    ServiceFactory(slug="chatgpt")

    for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/latest", "http://[::1]/"):
        response = api_client.post(
            "/api/v1/subscriptions/", {"service": "chatgpt", "webhook_url": url}, format="json"
        )
        assert response.status_code == 400
        assert "webhook_url" in response.json()


@with_throttle_rates(subscriptions="2/hour")
def test_subscribing_is_rate_limited_per_address(api_client):
    ServiceFactory(slug="chatgpt")
    answers = [
        api_client.post(
            "/api/v1/subscriptions/",
            {"service": "chatgpt", "email": f"{n}@example.org"},
            format="json",
        )
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "Retry-After" in answers[2]


def test_service_page_form_subscribes_without_a_csrf_token(receiver):
    from django.test import Client

    ServiceFactory(slug="chatgpt")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/status/chatgpt/alerts/", {"webhook_url": receiver.url, "events": ["opened", "ended"]}
    )

    assert response.status_code == 201
    subscription = Subscription.objects.get()
    assert subscription.events == ["opened", "ended"]
    assert subscription.secret.encode() in response.content


def test_service_page_form_refuses_a_filled_honeypot(client):
    ServiceFactory(slug="chatgpt")

    response = client.post(
        "/status/chatgpt/alerts/",
        {"email": "a@example.org", "events": ["opened"], "website": "http://spam"},
    )

    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_management_page_pauses_resumes_and_changes_events(client, receiver):
    subscription = webhook(ServiceFactory(), receiver.url)
    url = f"/alerts/{subscription.token}/"

    client.post(url, {"action": "pause"})
    subscription.refresh_from_db()
    assert subscription.state == State.PAUSED
    client.post(url, {"action": "resume"})
    client.post(url, {"action": "save", "events": ["ended"]})
    subscription.refresh_from_db()
    assert (subscription.state, subscription.events) == (State.ACTIVE, ["ended"])


def test_a_paused_subscription_hears_nothing(receiver):
    service = ServiceFactory()
    subscription = webhook(service, receiver.url)
    services.subscription_update(subscription, paused=True)

    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )

    assert Delivery.objects.count() == 0


def test_an_unknown_management_link_is_a_404(client):
    assert client.get("/alerts/" + "x" * 43 + "/").status_code == 404
    assert client.get("/alerts/short/").status_code == 404


def test_the_demo_receiver_accepts_a_real_signed_delivery(settings):
    # The demo's receiver is mounted with DEBUG only; the test URLconf is loaded without it.
    from alerts import views

    settings.ALERTS_ALLOW_PRIVATE_TARGETS = True
    service = ServiceFactory()
    subscription = verified_without_asking(service, "http://127.0.0.1:8000/hook")
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    delivery = Delivery.objects.select_related("subscription").get()
    body = json.dumps(services.webhook_body(delivery)).encode()
    from django.test import RequestFactory

    def post(signature: str):
        request = RequestFactory().post(
            "/alerts/demo-receiver/",
            body,
            content_type="application/json",
            headers={"X-Opendown-Delivery": str(delivery.pk), signing.HEADER: signature},
        )
        return views.demo_receiver(request)

    assert post(signing.sign(subscription.secret, body, int(time.time()))).status_code == 204
    assert post(signing.sign("wrong", body, int(time.time()))).status_code == 400


@pytest.mark.parametrize("body", [b"[]", b"3", b"[" * 5000, b"\xff"])
def test_the_demo_receiver_answers_400_to_a_body_that_is_no_alert(body):
    from django.test import RequestFactory

    from alerts import views

    request = RequestFactory().post("/alerts/demo-receiver/", body, content_type="application/json")

    assert views.demo_receiver(request).status_code == 400


def test_a_webhook_name_that_resolves_to_our_own_network_is_refused_at_delivery(
    settings, monkeypatch
):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = False
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *args, **kwargs: real_getaddrinfo(
            "127.0.0.1" if host == "localhost." else host, *args, **kwargs
        ),
    )
    service = ServiceFactory()
    # "localhost." passes the form's check (a dotted name) and resolves to loopback: as a
    # name that pointed elsewhere when it was verified and now points inside would.
    subscription = verified_without_asking(service, "http://localhost.:9/hook")
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )

    services.deliver_due()

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == DeliveryState.PENDING
    assert "not a public address" in delivery.last_error


def test_the_form_offers_worldwide_and_the_services_own_countries(client):
    ServiceFactory(slug="chatgpt", countries=["IN", "BD"])

    response = client.post(
        "/status/chatgpt/alerts/", {"email": "a@example.org", "country": "FR", "events": ["opened"]}
    )

    assert response.status_code == 400
    assert b'value="BD"' in response.content and b'value="IN"' in response.content
    assert not Subscription.objects.exists()


def test_a_possible_problem_that_grows_into_an_outage_sends_opened_then_raised(receiver):
    service = ServiceFactory(slug="rampy", name="Rampy", problems=["app"])
    rng = np.random.default_rng(3)
    minutes = 14 * 24 * 60
    counts = rng.poisson(1.0, size=minutes + 180)
    counts[minutes : minutes + 20] += 3  # a few extra reports a minute: possible problems
    counts[minutes + 20 : minutes + 60] += rng.poisson(40, size=40)  # then an outage
    store_minute_counts(service, SPIKE_AT - timedelta(days=14), counts)
    with time_machine.travel(SPIKE_AT - timedelta(minutes=30), tick=False):
        detection.refresh_baselines()
        detection.detect_spikes()
    webhook(service, receiver.url, min_severity="possible")

    detect_at(SPIKE_AT + timedelta(minutes=8))
    detect_at(SPIKE_AT + timedelta(minutes=25))

    deliveries = Delivery.objects.filter(incident__country="").order_by("pk")
    assert [(d.transition, d.payload["incident"]["severity"]) for d in deliveries] == [
        ("opened", "possible"),
        ("raised", "outage"),
    ]


def test_an_ntfy_topic_gets_plain_text(receiver):
    service = ServiceFactory(name="Zoom")
    subscription = webhook(service, "https://ntfy.sh/my-zoom-alerts")
    incident = IncidentFactory(service=service, severity="outage")
    delivery = Delivery(
        subscription=subscription, payload=services.incident_payload(incident, "opened")
    )

    body = services.webhook_body(delivery)

    assert subscription.channel == Channel.NTFY
    assert body.startswith("Zoom (worldwide): user reports indicate an outage: http")


def test_a_failing_alert_receiver_never_breaks_the_detectors_transaction(monkeypatch, receiver):
    service = ServiceFactory()
    webhook(service, receiver.url)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the alerts layer")

    monkeypatch.setattr(services, "record_incident_change", broken)
    with transaction.atomic():
        incident = IncidentFactory(service=service, severity="outage")
        incident_changed.send(Incident, incident=incident, transition="opened")

    assert Incident.objects.filter(pk=incident.pk).exists()
    assert Delivery.objects.count() == 0


def test_one_address_gets_at_most_five_confirmation_mails_a_day(mail_task):
    from alerts.mailboxes import mailbox_key

    for n in range(8):  # an hour apart: the hourly limit never refuses
        with time_machine.travel(datetime(2026, 3, 2, 2 * n, 30, tzinfo=UTC), tick=False):
            # Redis expires keys by its own clock, not the test's: the hour passes here.
            cache.delete(f"alerts:inbox:{mailbox_key('ana@example.org')}:recent")
            with mail_task():
                services.subscription_create(
                    service=ServiceFactory(slug=f"s{n}"), email="ana@example.org"
                )

    assert Subscription.objects.count() == 8
    assert len(mail.outbox) == services.CONFIRMATIONS_PER_ADDRESS_PER_DAY
