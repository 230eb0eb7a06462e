"""Every word translated, every number local: Hindi and Bengali pages in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ReportCountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BENGALI_DIGITS = re.compile("[\u09e6-\u09ef]")


@pytest.mark.parametrize(
    ("language", "login", "india"), [("hi", "लॉगिन", "भारत"), ("bn", "লগইন", "ভারত")]
)
def test_problem_types_and_country_names_are_translated(page, outage, language, login, india):
    page.goto(f"/{language}/status/chatgpt/")

    form = page.get_by_test_id("report-form")
    expect(form.get_by_label(login)).to_have_count(1)
    expect(form.locator('#id_country option[value="IN"]')).to_have_text(india)
    expect(page.get_by_test_id("top-problems")).not_to_contain_text("Login")


def test_hindi_puts_since_after_the_time(page, outage):
    page.goto("/hi/status/chatgpt/")

    since = page.locator(".since").inner_text()
    assert since.endswith("से")
    assert not since.startswith("से")


def test_a_bengali_page_writes_every_number_in_one_digit_system(page, outage):
    page.goto("/bn/status/chatgpt/")
    page.get_by_test_id("chart").focus()
    page.keyboard.press("ArrowLeft")
    page.get_by_test_id("series-table").locator("summary").click()

    text = page.locator("body").inner_text()

    assert not BENGALI_DIGITS.search(text)
    assert re.search(r"\d", page.locator(".chart-tip").inner_text())


def test_axis_and_tooltip_dates_follow_the_page_language(page, outage):
    page.goto("/hi/status/chatgpt/")
    page.get_by_role("button", name="7 दिन").click()
    expect(page.get_by_test_id("chart")).to_have_attribute("data-points", "168")

    ticks = page.evaluate("window.spikeChart.plot.axes[0]._values")
    page.get_by_test_id("chart").focus()
    page.keyboard.press("End")

    # Hindi month names ("नव॰" for November), never the US "11/25".
    assert any(re.search("[\u0900-\u097f]", t) for t in ticks)
    assert not any(re.fullmatch(r"\d+/\d+", t) for t in ticks)
    expect(page.locator(".chart-tip")).to_contain_text(re.compile("[\u0900-\u097f]"))


@pytest.mark.parametrize(
    ("language", "grouped"),
    [("en", r"\d{1,3}(,\d{3})+"), ("hi", r"\d{1,2}(,\d{2})*,\d{3}")],  # 114,527 / 1,14,527
)
def test_large_counts_have_thousands_separators(page, outage, language, grouped):
    ReportCountFactory(service=outage, country="IN", count=114_527)
    prefix = "" if language == "en" else f"/{language}"

    page.goto(f"{prefix}/status/chatgpt/")

    assert re.fullmatch(grouped, page.get_by_test_id("reports-15m").inner_text())
    assert re.fullmatch(grouped, page.get_by_test_id("reports-1h").inner_text())
    page.goto(f"{prefix}/")
    row = page.locator('.service-row[data-slug="chatgpt"] [data-field="reports"]')
    assert re.fullmatch(grouped, row.inner_text())


def test_the_api_stays_outside_the_language_prefix(page, outage):
    assert page.request.get("/hi/api/v1/services/chatgpt/").status == 404
    assert page.request.get("/api/v1/services/chatgpt/").json()["slug"] == "chatgpt"
