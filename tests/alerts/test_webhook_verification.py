"""A webhook hears alerts only after its endpoint proves it wants them; Slack, Discord and ntfy
URLs are checked by their own rules; a slow receiver costs one deadline, on the outbound queue."""

from __future__ import annotations

import json
import time

import pytest

from alerts import services, signing
from alerts.models import Delivery, DeliveryState, State, Subscription
from detection.signals import incident_changed
from outages.models import Incident
from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import QuietHandler, local_server

pytestmark = pytest.mark.django_db


def subscribe(service, url: str) -> Subscription:
    return services.subscription_create(service=service, webhook_url=url).subscription


def test_any_url_as_a_webhook_hears_nothing_until_its_endpoint_echoes_the_challenge(receiver):
    service = ServiceFactory()
    subscription = subscribe(service, receiver.url)
    assert subscription.state == State.PENDING

    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    assert not Delivery.objects.exists()

    assert services.webhook_verify(subscription)
    subscription.refresh_from_db()
    assert subscription.state == State.ACTIVE and subscription.confirmed_at is not None
    (request,) = receiver.verifications
    body = request["body"]
    assert json.loads(body)["type"] == "url_verification"
    # Signed like every delivery: the endpoint can tell the request is really ours.
    assert signing.verify(
        subscription.secret, body, request["headers"][signing.HEADER], now=time.time()
    )


def test_an_endpoint_that_does_not_echo_the_challenge_stays_pending_and_hears_nothing(receiver):
    receiver.echo = False
    service = ServiceFactory()
    subscription = subscribe(service, receiver.url)

    assert not services.webhook_verify(subscription)

    subscription.refresh_from_db()
    assert subscription.state == State.PENDING
    assert "challenge" in subscription.disabled_reason
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    assert not Delivery.objects.exists() and receiver.requests == []


def test_a_pending_webhook_is_asked_at_most_once_an_hour(receiver):
    receiver.echo = False
    subscription = subscribe(ServiceFactory(), receiver.url)

    services.webhook_verify(subscription)
    services.webhook_verify(subscription)
    services.subscription_update(subscription, paused=False)

    assert len(receiver.verifications) == 1


def test_the_management_link_cannot_confirm_a_webhook_for_its_endpoint(
    client, receiver, django_capture_on_commit_callbacks
):
    receiver.echo = False
    subscription = subscribe(ServiceFactory(), receiver.url)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(f"/alerts/{subscription.token}/", {"action": "confirm"})
        client.post(f"/alerts/{subscription.token}/", {"action": "resume"})

    subscription.refresh_from_db()
    assert subscription.state == State.PENDING
    assert len(callbacks) == 2  # each asks the endpoint again (at most hourly: see above)


def test_subscribing_queues_the_verification_on_the_outbound_queue(
    receiver, django_capture_on_commit_callbacks, monkeypatch
):
    from alerts import tasks

    queued = []
    monkeypatch.setattr(tasks.verify_webhook, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(ServiceFactory(), receiver.url)

    assert queued == [subscription.pk]
    route = tasks.verify_webhook.app.amqp.router.route({}, tasks.verify_webhook.name)
    assert route["queue"].name == "outbound"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T000/B000/XXXX",
        "https://discord.com/api/webhooks/123456/abc-DEF_1",
        "https://discordapp.com/api/webhooks/123456/abc",
        "https://ntfy.sh/my-zoom-alerts",
    ],
)
def test_slack_discord_and_ntfy_urls_are_active_at_once(api_client, url):
    ServiceFactory(slug="chatgpt")

    response = api_client.post(
        "/api/v1/subscriptions/", {"service": "chatgpt", "webhook_url": url}, format="json"
    )

    assert response.status_code == 201 and response.json()["state"] == "active"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/anything",
        "http://hooks.slack.com/services/T000/B000/XXXX",
        "https://hooks.slack.com/services/T000/B000/XXXX?redirect=http://127.0.0.1/",
        "https://discord.com/channels/1/2",
        "https://discord.com/api/webhooks/abc/def",
        "https://ntfy.sh/a/b",
        "https://ntfy.sh:8443/topic",
    ],
)
def test_a_url_on_slack_discord_or_ntfy_that_breaks_their_rules_is_refused(api_client, url):
    ServiceFactory(slug="chatgpt")

    response = api_client.post(
        "/api/v1/subscriptions/", {"service": "chatgpt", "webhook_url": url}, format="json"
    )

    assert response.status_code == 400 and "webhook_url" in response.json()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::1]/"],
)
def test_nat64_and_6to4_spellings_of_inside_addresses_are_refused_at_subscription(
    api_client, settings, url
):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = False
    ServiceFactory(slug="chatgpt")

    response = api_client.post(
        "/api/v1/subscriptions/", {"service": "chatgpt", "webhook_url": url}, format="json"
    )

    assert response.status_code == 400 and "webhook_url" in response.json()


def test_a_receiver_that_drips_its_answer_costs_one_deadline_and_a_retry(monkeypatch, settings):
    """The issue's row: one byte every few seconds held the shared worker for minutes, as
    the timeout was per socket read. Now the whole exchange has one deadline."""
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(services, "WEBHOOK_DEADLINE_SECONDS", 1)

    class Dripping(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass

    service = ServiceFactory()
    with local_server(Dripping) as url:
        subscription = subscribe(service, url + "/hook")
        Subscription.objects.filter(pk=subscription.pk).update(state=State.ACTIVE)
        incident_changed.send(
            Incident,
            incident=IncidentFactory(service=service, severity="outage"),
            transition="opened",
        )
        started = time.monotonic()
        services.deliver_due()
        elapsed = time.monotonic() - started

    delivery = Delivery.objects.get()
    assert elapsed < 3
    assert delivery.state == DeliveryState.PENDING and "within 1 s" in delivery.last_error


def test_the_demo_receiver_answers_a_verification_request_with_its_challenge():
    from django.test import RequestFactory

    from alerts import views

    body = json.dumps({"type": "url_verification", "challenge": "abc123", "service": "x"})
    request = RequestFactory().post("/alerts/demo-receiver/", body, content_type="application/json")

    response = views.demo_receiver(request)

    assert response.status_code == 200 and services._echoes(response.content, "abc123")


def test_the_management_page_of_a_pending_webhook_says_it_waits_for_its_endpoint(client, receiver):
    subscription = subscribe(ServiceFactory(), receiver.url)

    page = client.get(f"/alerts/{subscription.token}/").content.decode()

    assert 'data-testid="awaiting-verification"' in page and 'data-testid="confirm"' not in page


def test_an_unexpected_error_costs_one_delivery_a_try_not_the_rest_of_the_batch(
    receiver, monkeypatch
):
    service = ServiceFactory()
    broken = subscribe(service, "https://ntfy.sh/broken-topic")
    working = subscribe(service, receiver.url)
    services.webhook_verify(working)
    incident_changed.send(
        Incident, incident=IncidentFactory(service=service, severity="outage"), transition="opened"
    )
    real_send = services.send

    def send(delivery):  # type: ignore[no-untyped-def]
        if delivery.subscription_id == broken.pk:
            raise RuntimeError("a bug")
        real_send(delivery)

    monkeypatch.setattr(services, "send", send)

    assert services.deliver_due() == 1

    failed = Delivery.objects.get(subscription=broken)
    assert failed.state == DeliveryState.PENDING and "internal error" in failed.last_error
    assert Delivery.objects.get(subscription=working).state == DeliveryState.SENT
