"""Issue 14's pages in a real browser: the alert form, the management page, official status,
acknowledgement lag, open data and methodology, on desktop and at 375 px."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import State, Subscription
from official.models import OfficialIncident, ServiceStatusPage, StatusPage
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chatgpt(transactional_db):
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])


def test_a_webhook_subscribed_from_the_service_page_shows_its_secret_once(page, chatgpt):
    page.goto("/status/chatgpt/")

    form = page.get_by_test_id("subscribe-form")
    form.get_by_label("or a webhook URL").fill("https://hooks.slack.com/services/T0/B0/x")
    form.get_by_label("It ends").uncheck()
    page.get_by_test_id("subscribe-submit").click()

    subscription = Subscription.objects.get()
    expect(page.get_by_test_id("secret")).to_have_text(subscription.secret)
    assert subscription.events == ["opened", "raised"]
    assert subscription.channel == "slack"
    page.get_by_test_id("manage-link").click()
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "active")


def test_an_email_subscription_asks_to_check_the_inbox(page, chatgpt):
    page.goto("/status/chatgpt/")

    page.get_by_test_id("subscribe-form").get_by_label("Email address").fill("a@example.org")
    page.get_by_test_id("subscribe-submit").click()

    expect(page.get_by_test_id("check-inbox")).to_be_visible()
    assert Subscription.objects.get().state == State.PENDING


def test_the_management_page_confirms_pauses_and_deletes(page, chatgpt):
    from alerts.services import subscription_create

    subscription = subscription_create(service=chatgpt, email="a@example.org").subscription
    page.goto(f"/alerts/{subscription.token}/")

    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "active")
    page.get_by_test_id("pause").click()
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "paused")
    page.get_by_test_id("delete").click()
    expect(page.get_by_test_id("unsubscribed")).to_be_visible()
    assert not Subscription.objects.exists()


def test_the_service_page_shows_the_official_status_beside_the_crowd(page, chatgpt):
    openai = StatusPage.objects.create(
        name="OpenAI", url="https://status.openai.com/", kind="statuspage",
        indicator="major", description="Partial outage", polled_at=timezone.now(),
    )  # fmt: skip
    ServiceStatusPage.objects.create(service=chatgpt, page=openai, components=["ChatGPT"])
    OfficialIncident.objects.create(
        page=openai, external_id="1", name="Elevated errors on ChatGPT",
        acknowledged_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip

    page.goto("/status/chatgpt/")

    official = page.get_by_test_id("official")
    expect(official).to_contain_text("Partial outage")
    expect(official).to_contain_text("Elevated errors on ChatGPT")


def test_the_acknowledgement_page_ranks_vendors_by_lag(page, chatgpt):
    github = ServiceFactory(slug="github", name="GitHub")
    for service, name, lag in ((chatgpt, "OpenAI", 15), (github, "GitHub", 4)):
        status_page = StatusPage.objects.create(name=name, url=f"https://{name}.example/")
        ServiceStatusPage.objects.create(service=service, page=status_page)
        crowd = IncidentFactory(service=service, started_at=timezone.now() - timedelta(hours=2))
        OfficialIncident.objects.create(
            page=status_page, external_id="1", name="down",
            acknowledged_at=crowd.started_at + timedelta(minutes=lag),
        )  # fmt: skip

    page.goto("/acknowledgement/")

    rows = page.get_by_test_id("lag-ranking").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-vendor", "GitHub")
    expect(rows.nth(1)).to_contain_text("15")


def test_the_data_and_methodology_pages_explain_themselves(page, chatgpt):
    page.goto("/data/")
    expect(page.get_by_test_id("count-columns")).to_contain_text("threshold")
    expect(page.locator("a[rel=license]")).to_contain_text("CC BY 4.0")

    page.get_by_role("link", name="Methodology").click()
    accuracy = json.loads(Path(settings.ACCURACY_FILE).read_text())
    expect(page.get_by_test_id("nab")).to_contain_text(f"{accuracy['nab']['dev']['standard']:.1f}")
    # The committed file is whatever the evaluation commands last wrote: the simulated-outage
    # table when they measured it, a plain "not measured yet" otherwise.
    if "outages" in accuracy:
        expect(page.get_by_test_id("outage-recall")).to_be_visible()
    else:
        expect(page.get_by_test_id("outages-missing")).to_be_visible()


def test_the_new_pages_fit_375_px(chromium, live_server, chatgpt):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    for url in ("/status/chatgpt/", "/acknowledgement/", "/data/", "/methodology/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    expect(page.get_by_test_id("nab")).to_be_visible()
    context.close()
