"""Issue 29, the outage page's second pass, in a real browser: a page that stays live, the
summary above the fold, no made-up baseline, every word in the reader's language, phones,
the problem mix, the filling bucket, the per-country view and the incident calendar."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone, translation
from django_countries import countries
from playwright.sync_api import expect

from detection import services as detection
from detection.models import DetectionCursor
from official.models import OfficialIncident, ServiceStatusPage, StatusPage
from outages.models import Incident, IncidentLink, Level, LinkReason
from reports.models import ReportCount
from tests.browser.conftest import axe_violations
from tests.factories import IncidentFactory, ProblemTypeFactory, ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["en", "hi", "bn"]


def prefix(language: str) -> str:
    return "" if language == "en" else f"/{language}"


def words(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def country_name(language: str, code: str) -> str:
    with translation.override(language):
        return str(countries.name(code))


def test_an_open_tab_shows_a_stalled_detector_and_the_new_problems(page, outage):
    page.goto("/status/chatgpt/")
    expect(page.get_by_test_id("status-updated")).to_be_visible()
    expect(page.get_by_test_id("detection-behind")).to_be_hidden()

    # Detection stops (its last scored minute 10 minutes ago); a new problem is reported.
    DetectionCursor.objects.filter(pk=1).update(
        last_minute=timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=11)
    )
    voice = ProblemTypeFactory(slug="voice", name="Voice")
    outage.problem_types.add(voice)
    ReportCount.objects.create(
        service=outage, country="US", problem_type=voice, count=400,
        minute=timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2),
    )  # fmt: skip
    cache.clear()  # the page's shared rendering, as after the next cycle
    page.evaluate("window.opendown.refreshService()")

    expect(page.get_by_test_id("detection-behind")).to_be_visible()
    expect(page.get_by_test_id("detection-behind")).to_contain_text("10 min ago")
    expect(page.get_by_test_id("status-updated")).to_be_hidden()
    expect(page.get_by_test_id("top-problems")).to_contain_text("Voice")
    expect(page.get_by_test_id("summary")).to_contain_text("Voice")


def test_the_status_age_keeps_counting_between_refreshes(page, outage):
    page.goto("/status/chatgpt/")
    box = page.locator('[data-field="freshness"]')
    # Four minutes later by the page's clock, with no answer from the server at all.
    page.evaluate("window.spikeChart.skew += 4 * 60")
    page.route("**/status/chatgpt/", lambda route: route.abort())
    page.evaluate("window.opendown.refreshService()")

    expect(box.get_by_test_id("detection-behind")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_fails_and_where_is_one_line_above_the_fold_on_a_phone(
    chromium, live_server, outage, language
):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{prefix(language)}/status/chatgpt/")

    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text(words(language, "Mostly"))
    expect(summary).to_contain_text(country_name(language, "US"))
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= 812
    context.close()


def test_a_fresh_install_with_one_report_says_no_baseline_yet_and_draws_no_band(page):
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])
    now = timezone.now().replace(second=0, microsecond=0)
    store_minute_counts(chatgpt, now - timedelta(minutes=3), np.array([1]))
    detection.refresh_baselines(now)
    detection.detect_spikes(timezone.now())

    page.goto("/status/chatgpt/")

    expect(page.locator('[data-field="no-baseline"]')).to_be_visible()
    expect(page.get_by_test_id("chart")).to_have_attribute("data-band", "0")
    expect(page.get_by_test_id("baseline-now")).to_have_count(0)


def test_the_history_api_has_no_bucket_after_now_and_flags_the_filling_one(page, outage):
    # The demo writes ahead of the clock: a count stored for the next hour.
    ahead = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
    store_minute_counts(outage, ahead, np.array([50]))
    since = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

    answer = page.request.get(f"/api/v1/history/?services=chatgpt&since={since}&until={until}")

    rows = answer.json()["results"]
    assert [r["partial"] for r in rows][-2:] == [False, True]
    assert timezone.datetime.fromisoformat(rows[-1]["start"]) <= timezone.now()


@pytest.mark.parametrize("language", LANGUAGES)
def test_incident_pages_name_links_and_countries_in_the_readers_language(page, outage, language):
    openai = ServiceFactory(slug="openai", name="OpenAI")
    api = ServiceFactory(slug="openai-api", name="OpenAI API", parent=openai)
    mine = Incident.objects.get(service=outage, country="")
    other = IncidentFactory(service=api, started_at=mine.started_at)
    low, high = sorted([mine, other], key=lambda i: i.pk)
    IncidentLink.objects.create(
        from_incident=low, to_incident=high, reason=LinkReason.SAME_PARENT,
        params={"parent": "OpenAI"},
    )  # fmt: skip
    Incident.objects.filter(pk=mine.pk).update(
        top_countries=[{"country": "GB", "name": "United Kingdom", "count": 9, "share": 100.0}]
    )

    page.goto(f"{prefix(language)}/incidents/{mine.pk}/")

    related = page.get_by_test_id("related")
    expect(related).to_contain_text(words(language, "both %(parent)s") % {"parent": "OpenAI"})
    expect(page.locator("main")).to_contain_text(country_name(language, "GB"))
    if language != "en":
        expect(related).not_to_contain_text("both")
        expect(page.locator("main")).not_to_contain_text("United Kingdom")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_official_incidents_status_and_the_outage_kinds_are_translated(page, outage, language):
    status_page = StatusPage.objects.create(
        name="OpenAI", url="https://status.openai.com/", kind="statuspage",
        indicator="none", description="All Systems Operational", polled_at=timezone.now(),
    )  # fmt: skip
    ServiceStatusPage.objects.create(service=outage, page=status_page, components=["ChatGPT"])
    OfficialIncident.objects.create(
        page=status_page, external_id="1", name="Elevated errors", status="resolved",
        acknowledged_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip

    page.goto(f"{prefix(language)}/status/chatgpt/")
    expect(page.get_by_test_id("official")).to_contain_text("· " + words(language, "resolved"))
    page.goto(f"{prefix(language)}/methodology/")
    table = page.get_by_test_id("outage-recall")
    expect(table).to_contain_text(words(language, "Partial outage"))
    if language != "en":
        assert not re.search(r"\b(crash|surge|partial)\b", table.inner_text())


def test_the_incident_history_fits_a_phone_as_cards(chromium, live_server, outage):
    start = timezone.now() - timedelta(days=3)
    IncidentFactory(
        service=outage, started_at=start, ended_at=start + timedelta(hours=2),
        severity=Level.OUTAGE, peak_reports=1234,
    )  # fmt: skip
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto("/status/chatgpt/")

    history = page.get_by_test_id("incidents")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for cell in history.locator("tbody tr").first.locator("td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Each value is labelled on its card: the Linked column is there, not cut off.
    label = history.locator("tbody tr").first.locator("td").nth(5)
    assert (
        page.evaluate("el => getComputedStyle(el, '::before').content", label.element_handle())
        == '"Linked"'
    )
    context.close()


def test_the_incident_header_fits_a_phone(chromium, live_server, outage):
    incident = Incident.objects.get(service=outage, country="")
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"/incidents/{incident.pk}/")

    started = page.get_by_test_id("incident-facts").locator("dd").first
    line = float(started.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert started.bounding_box()["height"] <= 2 * line + 1
    context.close()


def test_the_problem_mix_has_a_time_axis_and_marks_the_filling_hour(page, outage):
    incident = Incident.objects.get(service=outage, country="")
    page.goto(f"/incidents/{incident.pk}/")

    expect(page.get_by_test_id("mix-axis").locator("time")).not_to_have_count(0)
    assert page.get_by_test_id("mix-axis").locator("time").count() >= 2
    expect(page.get_by_test_id("mix-partial-note")).to_be_visible()
    assert page.locator("svg.mix rect.partial").count() >= 1
    page.locator("section[aria-labelledby=mix-title] summary").click()
    rows = page.locator("section[aria-labelledby=mix-title] tbody tr")
    expect(rows.last).to_contain_text("so far")
    expect(rows.first).not_to_contain_text("so far")


def test_the_chart_marks_only_the_filling_bucket_and_states_its_pace(page, outage):
    page.goto("/status/chatgpt/")

    marked, last, partial = page.evaluate(
        """() => { const c = window.spikeChart, u = c.plot, n = c.data[0].length;
                   return [u.series[2].points.filter(u, 2, true), n - 1, c.partial]; }"""
    )
    assert marked == [last]
    if partial["pace"] is not None:
        assert partial["pace"] == pytest.approx(partial["count"] * 15 / partial["minutes"])


def test_no_projection_from_under_a_fifth_of_a_bucket(page, outage):
    page.goto("/status/chatgpt/")
    page.get_by_role("button", name="2 hours, per minute", exact=True).click()
    expect(page.get_by_test_id("chart")).to_have_attribute("data-partial", "1")

    # Five seconds into the current minute.
    count, drawn, pace = page.evaluate(
        """() => { const c = window.spikeChart, last = c.points[c.points.length - 1];
                   c.skew = last[0] + 5 - Date.now() / 1000; c.setData(c.points);
                   return [last[1], c.data[2][c.data[2].length - 1], c.partial.pace]; }"""
    )
    assert pace is None
    assert drawn == count
    page.get_by_test_id("chart").focus()
    page.keyboard.press("End")
    expect(page.locator(".chart-tip")).to_contain_text("too early to project")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_thank_you_after_a_report_is_grammatical(page, outage, language):
    page.goto(f"{prefix(language)}/status/chatgpt/")
    form = page.get_by_test_id("report-form")
    form.locator("input[name=problem]").first.check()
    form.locator("select[name=country]").select_option("IN")
    page.get_by_test_id("report-submit").click()

    problem = outage.problem_types.order_by("pk").first().name
    expected = words(
        language, "Thank you: your report of a problem with %(service)s (%(problem)s) is counted."
    ) % {"service": "ChatGPT", "problem": words(language, problem)}
    expect(page.locator("main")).to_contain_text(expected)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_visitor_picks_one_country(page, outage, language):
    store_minute_counts(
        outage, timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5),
        np.array([7]), country="IN",
    )  # fmt: skip
    page.goto(f"{prefix(language)}/status/chatgpt/")

    page.locator("#view-country").select_option("IN")
    with page.expect_response(lambda r: "country=IN" in r.url and "/reports/" in r.url):
        page.get_by_test_id("country-pick").get_by_role("button").click()
        page.get_by_role("button", name=words(language, "24 hours"), exact=True).click()

    assert "country=IN" in page.url
    expect(page.get_by_test_id("country-name")).to_have_text(country_name(language, "IN"))
    expect(page.get_by_test_id("reports-1h")).to_have_text("7")
    assert axe_violations(page) == []


def test_the_calendar_shows_past_incidents_by_day(page, outage):
    day = timezone.now() - timedelta(days=9)
    old = IncidentFactory(
        service=outage, started_at=day, ended_at=day + timedelta(hours=1), severity=Level.OUTAGE
    )
    page.goto("/status/chatgpt/")

    calendar = page.get_by_test_id("calendar")
    cell = calendar.locator(f'li[data-day="{day:%Y-%m-%d}"]')
    expect(cell).to_have_class("day-outage")
    assert calendar.locator("li").count() >= 91
    page.get_by_test_id("calendar-days").get_by_role("link", name=f"{day:%Y-%m-%d}").click()
    expect(page).to_have_url(re.compile(f"/incidents/{old.pk}/$"))
    page.goto("/status/chatgpt/")
    assert axe_violations(page) == []
