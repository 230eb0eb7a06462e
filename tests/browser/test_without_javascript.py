"""Without JavaScript: the tables behind the charts are there, and times say UTC."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from outages.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_the_service_table_holds_the_last_24_hours(no_js, outage):
    no_js.goto("/status/chatgpt/")

    no_js.get_by_test_id("series-table").locator("summary").click()

    rows = no_js.locator('[data-field="series-rows"] tr')
    expect(rows).to_have_count(96)
    expect(rows.first).to_contain_text("so far")
    expect(no_js.get_by_test_id("series-table").locator("thead")).to_contain_text("From (UTC)")


def test_times_and_notes_say_utc(no_js, outage):
    no_js.goto("/status/chatgpt/")

    expect(no_js.locator('[data-field="bucket-note"]')).to_have_text(
        "Reports per 15 minutes, last 24 hours, in UTC."
    )
    expect(no_js.locator(".site-footer")).to_contain_text("Times are shown in UTC.")
    expect(no_js.locator(".since time")).to_contain_text("UTC")
    assert "your time zone" not in no_js.locator("main").inner_text()


def test_the_incident_chart_has_its_table(no_js, outage):
    incident = Incident.objects.get(service=outage, country="")
    no_js.goto(f"/incidents/{incident.pk}/")

    no_js.get_by_test_id("series-table").locator("summary").click()

    expect(no_js.locator('[data-field="series-rows"] tr').first).to_be_visible()
    assert no_js.locator('[data-field="series-rows"] tr').count() >= 12


def test_with_javascript_the_same_notes_speak_of_the_local_time_zone(page, outage):
    page.goto("/status/chatgpt/")

    expect(page.locator('[data-field="bucket-note"]')).to_contain_text("in your time zone")
    expect(page.locator(".site-footer")).to_contain_text("your time zone")
