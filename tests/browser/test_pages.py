"""The pages in a real browser: lists, the spike graph, its tooltip, the report form, mobile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages.models import Incident, Level, Status
from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory, StatusFactory
from web import snapshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_lists_services_and_the_active_outage(page, outage):
    page.goto("/")

    outages = page.locator("section.group-outage")
    expect(outages.locator(".service-row")).to_have_count(1)
    expect(outages).to_contain_text("ChatGPT")
    expect(outages).to_contain_text("Problems")
    expect(page.get_by_test_id("now")).to_contain_text("ChatGPT")
    expect(page.locator("section.group-ok")).to_contain_text("Gmail")


def test_home_search_filters_instantly(page, outage):
    page.goto("/")

    page.get_by_test_id("search").fill("gma")

    expect(page.locator('.service-row[data-slug="gmail"]')).to_be_visible()
    expect(page.locator('.service-row[data-slug="chatgpt"]')).to_be_hidden()


def test_a_newly_detected_outage_appears_on_the_home_page_without_reload(page, transactional_db):
    ServiceFactory(slug="gmail", name="Gmail")
    whatsapp = ServiceFactory(slug="whatsapp", name="WhatsApp")
    # Fake timers: the 30 s poll is fast-forwarded instead of waited for.
    page.clock.install()
    page.goto("/")
    expect(page.locator("section.group-outage")).to_have_count(0)

    StatusFactory(service=whatsapp, level=Level.OUTAGE, since=timezone.now())
    IncidentFactory(service=whatsapp, severity=Level.OUTAGE)
    # What the detection cycle does after writing status rows: cached pages are out of date.
    snapshots.mark_status_published()
    page.clock.run_for(31_000)

    expect(page.locator("section.group-outage")).to_contain_text("WhatsApp")
    expect(page.get_by_test_id("now")).to_contain_text("WhatsApp")


def test_service_page_draws_the_graph_with_its_points_and_the_baseline_band(page, outage):
    page.goto("/status/chatgpt/")

    chart = page.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-points", "96")
    expect(chart).to_have_attribute("data-band", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(page.locator('[data-field="no-baseline"]')).to_be_hidden()
    # The table alternative holds the same numbers.
    expect(page.locator('[data-field="series-rows"] tr')).to_have_count(96)

    page.get_by_role("button", name="2 hours, per minute").click()

    expect(chart).to_have_attribute("data-points", "120")
    expect(page.get_by_role("button", name="2 hours, per minute")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_graph_has_no_band_before_a_baseline_exists(page, transactional_db):
    ServiceFactory(slug="newcomer", name="Newcomer")

    page.goto("/status/newcomer/")

    expect(page.get_by_test_id("chart")).to_have_attribute("data-band", "0")
    expect(page.locator('[data-field="no-baseline"]')).to_be_visible()


def test_hovering_the_graph_shows_time_count_baseline_and_threshold(page, outage):
    page.goto("/status/chatgpt/")
    overlay = page.locator("#spike-chart .u-over")
    box = overlay.bounding_box()

    # The next to last bucket: the last one is still filling (see test_graph_truth.py).
    step = box["width"] / 95
    page.mouse.move(box["x"] + box["width"] - step, box["y"] + box["height"] / 2)

    tip = page.locator(".chart-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Reports:")
    expect(tip).to_contain_text("Typical:")
    expect(tip).to_contain_text("Alert threshold:")
    expect(tip).to_contain_text("Incident")


def test_keyboard_moves_the_graph_cursor(page, outage):
    page.goto("/status/chatgpt/")

    page.get_by_test_id("chart").focus()
    page.keyboard.press("ArrowLeft")

    expect(page.locator(".chart-tip")).to_be_visible()


def test_submitting_a_report_increases_the_count_shown(page, outage):
    page.goto("/status/chatgpt/")
    before = int(page.get_by_test_id("reports-1h").inner_text().replace(",", ""))

    page.get_by_label("Login").check()
    page.get_by_label("Where are you?").select_option("IN")
    page.get_by_test_id("report-submit").click()

    expect(page.locator(".messages")).to_contain_text("is counted")
    expect(page.get_by_test_id("reports-1h")).to_have_text(f"{before + 1:,}")


def test_service_page_works_at_375_px(chromium, live_server, outage):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/status/chatgpt/")

    chart = page.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-points", "96")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert chart.bounding_box()["width"] <= 375
    expect(page.get_by_test_id("report-submit")).to_be_visible()
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_detected_outage_is_the_headline(page, outage):
    assert Incident.objects.filter(service=outage, ended_at__isnull=True).exists()
    assert Status.objects.get(service=outage, country="").level == Level.OUTAGE

    page.goto("/status/chatgpt/")

    expect(page.get_by_test_id("headline")).to_contain_text(
        "User reports indicate problems at ChatGPT"
    )
    assert (
        timedelta(0) < timezone.now() - Incident.objects.get(service=outage, country="").started_at
    )


def test_service_numbers_update_without_reload(page, outage):
    page.clock.install()
    page.goto("/status/chatgpt/")
    before = int(page.get_by_test_id("reports-1h").inner_text().replace(",", ""))

    ReportCountFactory(service=outage, country="IN", count=5)
    page.clock.run_for(31_000)

    expect(page.get_by_test_id("reports-1h")).to_have_text(f"{before + 5:,}")


def test_polling_pauses_while_the_tab_is_hidden(page, outage):
    # Headless tabs are always visible: pretend otherwise, then come back.
    page.add_init_script(
        "window.__visibility = 'visible';"
        "Object.defineProperty(document, 'visibilityState', {get: () => window.__visibility});"
    )
    page.clock.install()
    page.goto("/status/chatgpt/")
    api_calls: list[str] = []
    page.on("request", lambda request: "/api/v1/" in request.url and api_calls.append(request.url))

    page.evaluate("window.__visibility = 'hidden'")
    page.clock.run_for(95_000)
    assert api_calls == []

    page.evaluate(
        "window.__visibility = 'visible'; document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(page.get_by_test_id("chart")).to_have_attribute("data-points", "96")
    page.wait_for_timeout(300)
    assert any("/api/v1/services/chatgpt/" in url for url in api_calls)
