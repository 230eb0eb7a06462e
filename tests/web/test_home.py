"""The home page: services grouped by status, sparklines, the "Now" list, filters, languages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import IncidentLink, Level, LinkReason
from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory, StatusFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def services():
    quiet = ServiceFactory(slug="gmail", name="Gmail", category="email", countries=["US"])
    shaky = ServiceFactory(slug="claude", name="Claude", countries=["US", "IN"])
    down = ServiceFactory(slug="chatgpt", name="ChatGPT", countries=["IN", "BD"])
    StatusFactory(service=shaky, level=Level.POSSIBLE)
    StatusFactory(service=down, level=Level.OUTAGE)
    return quiet, shaky, down


def test_services_are_grouped_outages_first_then_possible_problems(client, services):
    page = client.get("/").content.decode()

    outage, possible, ok = (
        page.index(f'id="group-{level}"') for level in ("outage", "possible", "ok")
    )
    assert outage < page.index('data-slug="chatgpt"') < possible
    assert possible < page.index('data-slug="claude"') < ok < page.index('data-slug="gmail"')


def test_each_service_shows_a_24_hour_sparkline_and_its_last_hour(client, services):
    down = services[2]
    ReportCountFactory(service=down, count=7)
    ReportCountFactory(service=down, count=5, minute=timezone.now() - timedelta(hours=3))

    page = client.get("/").content.decode()

    row = re.search(r'data-slug="chatgpt".*?</li>', page, re.S).group(0)
    finished = re.search(r'<polyline points="([^"]+)"', row).group(1).split()
    filling = re.search(r'<polyline class="now" points="([^"]+)"', row).group(1).split()
    # 23 finished hours, then the dashed segment into the current one: 24 hours in all.
    assert (len(finished), len(filling)) == (23, 2)
    assert filling[0] == finished[-1]
    assert re.search(r'data-field="reports">7<', row)
    assert "Problems" in row


def test_now_lists_linked_active_incidents_together(client, services):
    start = timezone.now() - timedelta(minutes=20)
    a = IncidentFactory(service=services[2], started_at=start)
    b = IncidentFactory(service=services[1], started_at=start + timedelta(minutes=2))
    IncidentLink.objects.create(from_incident=a, to_incident=b, reason=LinkReason.CO_OCCURRENCE)
    IncidentFactory(service=services[0], started_at=start, ended_at=start + timedelta(minutes=5))

    page = client.get("/").content.decode()

    now = re.search(r'data-testid="now">(.*?)</ul>', page, re.S).group(1)
    assert now.count("<li") == 1
    assert re.search(r"ChatGPT</a>, <a[^>]*>Claude", now)
    assert "Gmail" not in now
    assert f"{start:%H:%M} UTC" in now


def test_filters_by_category_and_country(client, services):
    by_category = client.get("/?category=email").content.decode()
    by_country = client.get("/?country=BD").content.decode()

    assert 'data-slug="gmail"' in by_category
    assert 'data-slug="chatgpt"' not in by_category
    assert 'data-slug="chatgpt"' in by_country
    assert 'data-slug="gmail"' not in by_country


def test_an_unknown_filter_value_is_ignored_and_the_others_still_apply(client, services):
    # A stale bookmark (a category since renamed) still shows the page, filtered by the rest:
    # by way of the canonical address, the only one cached (web.page_cache.NotCanonical).
    response = client.get("/?category=nonsense&country=bd", follow=True)
    page = response.content.decode()

    assert response.redirect_chain == [("/?country=BD", 302)]
    assert 'data-slug="chatgpt"' in page
    assert 'data-slug="gmail"' not in page


def test_search_works_without_javascript_by_name_or_slug(client, services):
    page = client.get("/?q=chat").content.decode()

    assert 'data-slug="chatgpt"' in page
    assert 'data-slug="gmail"' not in page


@pytest.mark.parametrize(
    ("language", "text"),
    [("hi", "क्या यह बंद है, या सिर्फ़ मेरे साथ हो रहा है?"), ("bn", "এটা কি বন্ধ, নাকি শুধু আমার সমস্যা?")],
)
def test_home_is_served_in_hindi_and_bengali_under_their_prefix(client, services, language, text):
    page = client.get(f"/{language}/").content.decode()

    assert f'<html lang="{language}">' in page
    assert text in page


def test_language_menu_links_to_the_same_page_in_each_language(client, services):
    page = client.get("/?q=chat").content.decode()

    menu = re.search(r'<nav class="lang".*?</nav>', page, re.S).group(0)
    assert 'href="/?q=chat"' in menu
    assert 'href="/hi/?q=chat"' in menu
    assert 'href="/bn/?q=chat"' in menu
    assert "এখন" in client.get("/bn/?q=chat").content.decode()  # "Now"


def test_english_urls_stay_english_whatever_the_browser_asks(client, services):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="bn").content.decode()

    assert '<html lang="en">' in page


def test_every_page_names_its_versions_in_other_languages(client, services):
    page = client.get("/status/chatgpt/").content.decode()

    assert (
        '<link rel="alternate" hreflang="hi" href="http://testserver/hi/status/chatgpt/">' in page
    )
    assert (
        '<link rel="alternate" hreflang="bn" href="http://testserver/bn/status/chatgpt/">' in page
    )
    assert (
        '<link rel="alternate" hreflang="x-default" href="http://testserver/status/chatgpt/">'
        in page
    )
