"""Issue 25 item 4 (mail that cannot be aimed at someone) and issue 26 item 3 / issue 29 (the
least severity a subscription hears, one subscription covering several services), through the
production ASGI application where a request is involved."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts import mailboxes, services, tasks
from alerts.models import Delivery, DeliveryState, State, Subscription
from detection.engine import EngineConfig
from detection.signals import incident_changed
from outages.models import Incident
from tests.alerts.conftest import mail_link, verified, verified_without_asking
from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import asgi_call, with_throttle_rates

# The ASGI handler runs views in its own thread: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def asgi_post(path: str, body: dict | bytes, *, client: str = "198.51.100.9", form=False):  # type: ignore[no-untyped-def]
    from config.asgi import application

    if form:
        content_type, raw = b"application/x-www-form-urlencoded", body
    else:
        content_type, raw = b"application/json", json.dumps(body).encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(raw)).encode())]
    return asyncio.run(
        asgi_call(application, "POST", path, body=raw, headers=headers, client=client)
    )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # Rows commit at once here, so on_commit hooks fire: nothing may reach a real broker.
    monkeypatch.setattr(tasks.deliver_due, "delay", lambda: None)


@pytest.fixture
def queued(monkeypatch):
    """The confirmation mails the requests queued (subscription ids), not yet sent."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.send_confirmation, "delay", calls.append)
    return calls


def run_queued(queued: list[int]) -> int:
    """What the worker does with the queued tasks; returns how many mails went out."""
    return sum(services.confirmation_mail(pk) for pk in queued)


@contextmanager
def silent_smtp():
    """An SMTP server that accepts connections and never greets (issue 25's hung server)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        server.close()
        for connection in accepted:
            connection.close()


def test_mailboxes_normalise_plus_tags_and_gmail_dots():
    same = {
        mailboxes.normalise(a)
        for a in ("Victim+1@Example.org", "victim+x@example.org", "victim@example.org")
    }
    gmail = {
        mailboxes.normalise(a)
        for a in ("v.i.c.t.i.m@gmail.com", "VICTIM+2@googlemail.com", "victim@gmail.com")
    }

    assert same == {"victim@example.org"} and gmail == {"victim@gmail.com"}
    assert mailboxes.normalise("v.ictim@example.org") == "v.ictim@example.org"  # dots count there


def test_the_confirmation_mail_is_a_task_and_a_hung_mail_server_holds_no_request(settings, queued):
    ServiceFactory(slug="chatgpt")
    with silent_smtp() as (port, connections):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1

        status, _, _ = asgi_post(
            "/api/v1/subscriptions/", {"service": "chatgpt", "email": "a@example.org"}
        )

        assert status == 201
        assert connections == []  # the request never talked to the mail server
        assert queued == [Subscription.objects.get().pk]
        with pytest.raises(OSError):  # the worker gives up after EMAIL_TIMEOUT, not never
            services.confirmation_mail(queued[0])


def test_plus_tags_and_dot_variants_from_many_networks_reach_one_inbox_once(queued):
    ServiceFactory(slug="chatgpt")
    addresses = [f"victim+{n}@gmail.com" for n in range(8)] + [
        "v.ictim@gmail.com",
        "vi.ctim@googlemail.com",
        "V.I.C.T.I.M@gmail.com",
    ]
    for n, address in enumerate(addresses):  # each from its own /24
        status, _, _ = asgi_post(
            "/api/v1/subscriptions/",
            {"service": "chatgpt", "email": address},
            client=f"203.0.{n}.7",
        )
        assert status == 201

    assert run_queued(queued) == 1
    assert len(mail.outbox) == 1


@with_throttle_rates(confirmation_mails="3/day", subscriptions=None, subscriptions_network=None)
def test_one_client_asks_for_at_most_its_daily_mails_whatever_the_addresses(queued):
    ServiceFactory(slug="chatgpt")
    for n in range(6):
        asgi_post("/api/v1/subscriptions/", {"service": "chatgpt", "email": f"p{n}@example.org"})

    assert len(queued) == 3
    # A refused client spent nothing of its neighbours' budget: another address in its /24 asks.
    asgi_post(
        "/api/v1/subscriptions/",
        {"service": "chatgpt", "email": "n@example.org"},
        client="198.51.100.10",
    )
    assert len(queued) == 4


def test_a_victims_own_request_is_on_the_page_of_the_mail_an_attacker_triggered(client, queued):
    for slug in ("a", "b", "c", "mine"):
        ServiceFactory(slug=slug)
    for n, slug in enumerate(("a", "b", "c")):  # the attacker, from three networks
        asgi_post(
            "/api/v1/subscriptions/",
            {"service": slug, "email": f"victim+{slug}@example.org"},
            client=f"203.0.{n}.1",
        )
    run_queued(queued)
    [attackers_mail] = mail.outbox

    status, _, _ = asgi_post(  # the victim asks for their own alert: no second mail this hour
        "/api/v1/subscriptions/", {"service": "mine", "email": "victim@example.org"}
    )
    run_queued(queued)

    assert status == 201 and len(mail.outbox) == 1
    page = client.get(mail_link(attackers_mail))
    mine = Subscription.objects.get(service__slug="mine")
    assert f'name="subscription" value="{mine.pk}"'.encode() in page.content
    client.post(mail_link(attackers_mail), {"subscription": mine.pk})
    mine.refresh_from_db()
    assert mine.state == State.ACTIVE
    assert set(Subscription.objects.exclude(pk=mine.pk).values_list("state", flat=True)) == {
        State.PENDING  # the attacker's requests stay unconfirmed: they send nothing
    }


def test_an_inbox_link_names_no_address_and_a_forged_one_is_refused(client, queued):
    ServiceFactory(slug="chatgpt")
    asgi_post("/api/v1/subscriptions/", {"service": "chatgpt", "email": "ana@example.org"})
    run_queued(queued)
    link = mail_link(mail.outbox[0])

    assert "ana" not in link
    forged = link.replace(link.split(":")[0].split("/")[-1], "0" * 64)
    assert client.get(forged).status_code == 404


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(queued):
    known = services.subscription_create(
        service=ServiceFactory(slug="other"), email="known@example.org"
    ).subscription
    services.subscription_confirm(known)

    answers = [
        asgi_post("/api/v1/subscriptions/", {"service": "other", "email": address})
        for address in ("known@example.org", "stranger@example.org")
    ]

    assert [status for status, _, _ in answers] == [201, 201]
    assert json.loads(answers[0][2]) == json.loads(answers[1][2])
    assert json.loads(answers[0][2])["state"] == "pending"
    # Both asked for a mail the same way: the known address hears of its alert again.
    assert len(queued) == 3


# --- Least severity (issue 26 item 3) --------------------------------------------------------


def hold() -> timedelta:
    return timedelta(minutes=EngineConfig().fall_minutes)


def webhook(service, **kwargs) -> Subscription:  # type: ignore[no-untyped-def]
    """A generic webhook as its owner gets it once its endpoint answered the challenge."""
    return verified_without_asking(service, "https://hooks.example.org/x", **kwargs)


def test_by_default_a_subscription_hears_outages_not_possible_problems():
    service = ServiceFactory()
    webhook(service)
    possible = IncidentFactory(service=service, severity="possible")
    incident_changed.send(Incident, incident=possible, transition="opened")
    assert Delivery.objects.count() == 0

    Incident.objects.filter(pk=possible.pk).update(severity="outage")
    possible.refresh_from_db()
    incident_changed.send(Incident, incident=possible, transition="raised")

    assert list(Delivery.objects.values_list("transition", flat=True)) == ["raised"]


def test_possible_problems_alert_only_once_they_have_held(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(services, "send", lambda delivery: sent.append(delivery.pk))
    service = ServiceFactory()
    webhook(service, min_severity="possible")
    started = timezone.now()
    incident = IncidentFactory(service=service, severity="possible", started_at=started)
    incident_changed.send(Incident, incident=incident, transition="opened")

    assert services.deliver_due(now=started + hold() - timedelta(seconds=1)) == 0
    assert services.deliver_due(now=started + hold()) == 1
    assert len(sent) == 1


def test_possible_problems_that_end_before_they_held_send_nothing_not_even_the_end(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(services, "send", lambda delivery: sent.append(delivery.transition))
    service = ServiceFactory()
    webhook(service, min_severity="possible")
    started = timezone.now()
    incident = IncidentFactory(service=service, severity="possible", started_at=started)
    incident_changed.send(Incident, incident=incident, transition="opened")
    Incident.objects.filter(pk=incident.pk).update(ended_at=started + timedelta(minutes=6))
    incident.refresh_from_db()
    incident_changed.send(Incident, incident=incident, transition="ended")

    services.deliver_due(now=started + 2 * hold())

    assert sent == []
    assert Delivery.objects.get(transition="opened").state == DeliveryState.FAILED


def test_a_possible_opening_overtaken_by_an_outage_is_not_sent_after_it(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(services, "send", lambda delivery: sent.append(delivery.transition))
    service = ServiceFactory()
    webhook(service, min_severity="possible")
    started = timezone.now()
    incident = IncidentFactory(service=service, severity="possible", started_at=started)
    incident_changed.send(Incident, incident=incident, transition="opened")
    Incident.objects.filter(pk=incident.pk).update(severity="outage")
    incident.refresh_from_db()
    incident_changed.send(Incident, incident=incident, transition="raised")

    services.deliver_due(now=started + 2 * hold())

    assert sent == ["raised"]


def test_the_api_the_form_and_the_management_page_set_the_least_severity(client, queued):
    ServiceFactory(slug="chatgpt")
    status, _, body = asgi_post(
        "/api/v1/subscriptions/",
        {
            "service": "chatgpt",
            "webhook_url": "https://hooks.example.org/a",
            "min_severity": "possible",
        },
    )
    assert status == 201 and json.loads(body)["min_severity"] == "possible"
    status, _, _ = asgi_post(
        "/api/v1/subscriptions/",
        {
            "service": "chatgpt",
            "webhook_url": "https://hooks.example.org/b",
            "min_severity": "minor",
        },
    )
    assert status == 400

    status, _, _ = asgi_post(
        "/status/chatgpt/alerts/",
        b"webhook_url=https%3A%2F%2Fhooks.example.org%2Fc&events=opened&min_severity=possible",
        form=True,
    )
    assert status == 201
    made = Subscription.objects.get(webhook_url="https://hooks.example.org/c")
    assert made.min_severity == "possible"
    made = verified(made)  # the page offers the settings once the endpoint answered

    client.post(
        f"/alerts/{made.token}/", {"action": "save", "events": ["opened"], "min_severity": "outage"}
    )
    made.refresh_from_db()
    assert made.min_severity == "outage"
    assert b'name="min_severity"' in client.get(f"/alerts/{made.token}/").content


# --- One subscription, several services (issue 29) -------------------------------------------


def test_one_api_subscription_covers_several_services():
    ServiceFactory(slug="chatgpt")
    claude = ServiceFactory(slug="claude")
    ServiceFactory(slug="gemini")
    status, _, body = asgi_post(
        "/api/v1/subscriptions/",
        {
            "service": "chatgpt",
            "services": ["claude", "gemini"],
            "webhook_url": "https://h.example.org/",
        },
    )
    subscription = verified(Subscription.objects.get())  # its endpoint answered the challenge

    incident = IncidentFactory(service=claude, severity="outage")
    incident_changed.send(Incident, incident=incident, transition="opened")
    incident_changed.send(
        Incident,
        incident=IncidentFactory(service=ServiceFactory(), severity="outage"),
        transition="opened",
    )

    assert status == 201
    assert json.loads(body)["services"] == ["chatgpt", "claude", "gemini"]
    assert list(Delivery.objects.values_list("subscription", "incident")) == [
        (subscription.pk, incident.pk)
    ]


def test_the_service_pages_form_offers_the_family_and_subscribes_to_it(client):
    meta = ServiceFactory(slug="meta", name="Meta")
    ServiceFactory(slug="whatsapp", name="WhatsApp", parent=meta)
    ServiceFactory(slug="instagram", name="Instagram", parent=meta)
    ServiceFactory(slug="zoom", name="Zoom")

    page = client.get("/status/whatsapp/").content.decode()
    status, _, _ = asgi_post(
        "/status/whatsapp/alerts/",
        b"webhook_url=https%3A%2F%2Fh.example.org%2F&events=opened&also=meta&also=instagram",
        form=True,
    )

    assert 'value="meta"' in page and 'value="instagram"' in page and 'value="zoom"' not in page
    assert status == 201
    subscription = Subscription.objects.get()
    assert [s.slug for s in subscription.covered_services()] == ["whatsapp", "instagram", "meta"]
    manage = client.get(f"/alerts/{subscription.token}/").content.decode()
    assert "Instagram" in manage and "Meta" in manage


def test_the_management_page_sets_delete_apart_from_save_and_pause(client):
    subscription = webhook(ServiceFactory())

    page = client.get(f"/alerts/{subscription.token}/").content.decode()

    assert 'class="primary" data-testid="save"' in page
    assert 'class="secondary" data-testid="pause"' in page
    assert 'class="danger" data-testid="delete"' in page


@pytest.mark.parametrize(
    ("prefix", "legend", "family"),
    [
        ("/hi", "मुझे इनके बारे में अलर्ट करें", "इनके लिए भी"),
        ("/bn", "আমাকে এগুলোর বিষয়ে সতর্ক করুন", "এগুলোর জন্যও"),
    ],
)
def test_the_new_alert_fields_speak_hindi_and_bengali(client, prefix, legend, family):
    meta = ServiceFactory(slug="meta", name="Meta")
    ServiceFactory(slug="whatsapp", name="WhatsApp", parent=meta)

    page = client.get(f"{prefix}/status/whatsapp/").content.decode()

    assert legend in page and family in page
