"""axe-core (WCAG 2.1 A/AA) on every kind of page, the chart's semantics, focus, menus."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from outages.models import Incident
from tests.browser.conftest import axe_violations
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent(outage):
    openai = ServiceFactory(slug="openai", name="OpenAI")
    outage.parent = openai
    outage.save(update_fields=["parent"])
    return openai


@pytest.mark.parametrize(
    "path",
    ["/", "/status/chatgpt/", "/status/openai/", "/hi/", "/hi/status/chatgpt/", "/bn/",
     "/bn/status/chatgpt/", "/bn/status/openai/", "incident", "/hi/incident"],
)  # fmt: skip
def test_axe_finds_no_violation(page, parent, path):
    if path.endswith("incident"):
        incident = Incident.objects.get(service__slug="chatgpt", country="")
        path = path.replace("incident", f"incidents/{incident.pk}/")
    page.goto(path)
    expect(page.get_by_test_id("chart")).to_have_count(0 if path in ("/", "/hi/", "/bn/") else 1)

    assert axe_violations(page) == []


def test_axe_finds_no_violation_with_the_chart_tooltip_and_table_open(page, outage):
    page.goto("/status/chatgpt/")
    page.get_by_test_id("chart").focus()
    page.keyboard.press("ArrowLeft")
    page.get_by_test_id("series-table").locator("summary").click()

    assert axe_violations(page) == []


def test_axe_finds_no_violation_in_a_refused_report_form(page, outage):
    page.goto("/status/chatgpt/")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()

    assert axe_violations(page) == []


def test_axe_finds_no_violation_on_the_api_docs_page_outside_swagger_ui(page, transactional_db):
    # The page's frame is ours; the Swagger UI widget inside #swagger-ui is the vendored one.
    page.goto("/api/docs/")
    page.locator("#swagger-ui .info").wait_for()

    violations = axe_violations(page, exclude=["#swagger-ui"])

    assert violations == []


def test_the_chart_has_a_role_a_name_and_instructions(page, outage):
    page.goto("/status/chatgpt/")

    chart = page.get_by_role("application", name="Reports over time")
    expect(chart).to_have_attribute("aria-roledescription", "chart")
    expect(chart).to_have_accessible_description(
        "Use the Left and Right arrow keys to move through the buckets, Home and End for the "
        "first and last, Escape to close the details."
    )


def test_home_end_and_escape_drive_the_tooltip(page, outage):
    page.goto("/status/chatgpt/")
    chart = page.get_by_test_id("chart")
    tip = page.locator(".chart-tip")

    chart.focus()
    page.keyboard.press("Home")
    assert page.evaluate("window.spikeChart.plot.cursor.idx") == 0
    expect(tip).to_be_visible()
    page.keyboard.press("End")
    assert page.evaluate("window.spikeChart.plot.cursor.idx") == 95
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()


def test_the_tooltip_closes_when_focus_leaves_the_chart(page, outage):
    page.goto("/status/chatgpt/")

    page.get_by_test_id("chart").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".chart-tip")).to_be_visible()
    page.keyboard.press("Tab")

    expect(page.locator(".chart-tip")).to_be_hidden()


def contrast(rgb_a: str, rgb_b: str) -> float:
    def luminance(rgb: str) -> float:
        parts = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    ("selector", "background"),
    [('[data-testid="chart"]', "section"), (".ranges button", "section"),
     (".lang a", ".site-header")],
)  # fmt: skip
def test_the_focus_ring_contrasts_at_least_3_to_1_with_its_background(
    page, outage, selector, background
):
    page.goto("/status/chatgpt/")
    element = page.locator(selector).first
    element.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    expect(element).to_be_focused()

    ring = element.evaluate("el => getComputedStyle(el).outlineColor")
    style = element.evaluate("el => getComputedStyle(el).outlineStyle")
    behind = page.locator(background).first.evaluate("el => getComputedStyle(el).backgroundColor")

    assert style == "solid"
    assert contrast(ring, behind) >= 3


def test_arrow_keys_on_the_language_menu_do_not_navigate(page, outage):
    page.goto("/status/chatgpt/")
    page.get_by_role("navigation", name="Language").get_by_role("link").first.focus()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")

    assert page.url.endswith("/status/chatgpt/")
    page.get_by_role("link", name="বাংলা").click()
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    assert page.url.endswith("/bn/status/chatgpt/")


def test_arrow_keys_on_the_category_menu_do_not_reload_the_home_page(page, outage):
    page.goto("/")
    page.get_by_label("Category").focus()

    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)

    assert "category=" not in page.url
    expect(page.get_by_label("Category")).to_be_focused()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]category="))
