"""The report form: the right country, remembered in the browser; errors in sight."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(chromium, live_server, accept_language: str):
    context = chromium.new_context(
        base_url=live_server.url, extra_http_headers={"Accept-Language": accept_language}
    )
    return context, context.new_page()


@pytest.mark.parametrize("accept_language", ["en", "hi", "bn"])
def test_a_request_without_a_region_preselects_no_country(
    chromium, live_server, outage, accept_language
):
    context, page = new_page(chromium, live_server, accept_language)
    page.goto("/status/chatgpt/")

    expect(page.get_by_label("Where are you?")).to_have_value("")
    expect(page.locator("#id_country option").first).to_have_text("Choose your country…")
    context.close()


def test_a_region_in_the_request_preselects_its_country(chromium, live_server, outage):
    context, page = new_page(chromium, live_server, "en-IN,en;q=0.9")
    page.goto("/status/chatgpt/")

    expect(page.get_by_label("Where are you?")).to_have_value("IN")
    context.close()


def test_an_empty_report_is_refused_with_a_summary_that_takes_the_focus(
    chromium, live_server, outage
):
    context, page = new_page(chromium, live_server, "en")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/status/chatgpt/")

    page.get_by_test_id("report-submit").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Choose what is not working.")
    expect(summary).to_contain_text("Choose the country you are in.")
    # Each message is also next to its field, and the summary links there.
    country_row = page.locator(".field", has=page.locator("#id_country"))
    expect(country_row.locator(".errorlist")).to_contain_text("Choose the country you are in.")
    summary.get_by_role("link", name="Where are you?").click()
    expect(page.locator("#id_country")).to_be_in_viewport()
    context.close()


def test_the_chosen_country_is_remembered_in_the_browser_not_in_a_cookie(page, outage):
    page.goto("/status/chatgpt/")

    page.get_by_label("Where are you?").select_option("BD")
    page.reload()

    expect(page.get_by_label("Where are you?")).to_have_value("BD")
    assert page.evaluate("localStorage.getItem('opendown.country')") == "BD"
    assert "BD" not in page.evaluate("document.cookie")
    assert all("BD" not in c["value"] for c in page.context.cookies())


def test_a_report_is_counted_in_the_country_the_visitor_picked(page, outage):
    from reports.models import Report

    page.goto("/status/chatgpt/")
    page.get_by_label("Login").check()
    page.get_by_label("Where are you?").select_option("BD")
    page.get_by_test_id("report-submit").click()

    expect(page.locator(".messages")).to_contain_text("is counted")
    assert Report.objects.get().country == "BD"
