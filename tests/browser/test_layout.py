"""The rest of the page people open in an outage: mobile fold, history, parent page, weight."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages.models import Level
from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["", "/hi", "/bn"])
def test_the_chart_is_above_the_fold_on_a_375_by_812_phone(chromium, live_server, outage, language):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{language}/status/chatgpt/")

    chart = page.get_by_test_id("chart")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()

    assert box["y"] + box["height"] <= 812
    context.close()


def test_history_pages_reach_every_incident(page, outage):
    start = timezone.now() - timedelta(days=400)
    old = [
        IncidentFactory(
            service=outage,
            started_at=start + timedelta(days=10 * i),
            ended_at=start + timedelta(days=10 * i, hours=1),
            severity=Level.OUTAGE,
        )
        for i in range(24)
    ]
    page.goto("/status/chatgpt/")
    history = page.get_by_test_id("incidents")
    expect(history.locator("tbody tr")).to_have_count(10)

    pages = page.get_by_test_id("history-pages")
    expect(pages).to_contain_text("Page 1 of 3")
    pages.get_by_role("link", name="Older incidents").click()
    pages.get_by_role("link", name="Older incidents").click()

    expect(page.get_by_test_id("history-pages")).to_contain_text("Page 3 of 3")
    expect(page.locator(f'a[href="/incidents/{old[0].pk}/"]')).to_be_visible()
    expect(
        page.get_by_test_id("history-pages").get_by_role("link", name="Older incidents")
    ).to_have_count(0)


def test_the_parent_page_heads_its_by_service_breakdown(page, transactional_db):
    openai = ServiceFactory(slug="openai", name="OpenAI")
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", parent=openai, problems=["login"])
    sora = ServiceFactory(slug="sora", name="Sora", parent=openai, problems=["website"])
    ReportCountFactory(service=chatgpt, problem_type=chatgpt.problem_types.get(), count=6)
    ReportCountFactory(service=sora, problem_type=sora.problem_types.get(), count=4)

    page.goto("/status/openai/")

    expect(page.get_by_test_id("top-problems")).to_contain_text("60 % Login")
    by_service = page.get_by_role("list", name="By service, last hour")
    expect(by_service).to_contain_text("60 % ChatGPT")
    expect(by_service).to_contain_text("40 % Sora")


def test_pages_and_static_files_travel_compressed(page, outage):
    page.goto("/status/chatgpt/")
    script = page.locator('script[src*="uPlot"]').get_attribute("src")

    html = page.request.get("/status/chatgpt/", headers={"Accept-Encoding": "gzip"})
    static = page.request.get(script, headers={"Accept-Encoding": "gzip"})

    assert html.headers["content-encoding"] == "gzip"
    assert static.headers["content-encoding"] == "gzip"
