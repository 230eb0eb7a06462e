"""Hindi and Bengali pages: words, country names, number grouping, language links."""

from __future__ import annotations

import re

import pytest

from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory
from web.templatetags.outages_tags import num

pytestmark = pytest.mark.django_db


@pytest.fixture
def chatgpt():
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])


@pytest.mark.parametrize(
    ("language", "login", "bangladesh", "afghanistan"),
    [("hi", "लॉगिन", "बांग्लादेश", "अफ़गानिस्तान"), ("bn", "লগইন", "বাংলাদেশ", "আফগানিস্তান")],
)  # fmt: skip
def test_problem_types_and_all_countries_are_translated(
    client, chatgpt, language, login, bangladesh, afghanistan
):
    page = client.get(f"/{language}/status/chatgpt/").content.decode()

    assert re.search(rf'<input [^>]*name="problem"[^>]*>\s*{login}</label>', page)
    assert f'<option value="BD">{bangladesh}</option>' in page
    assert f'<option value="AF">{afghanistan}</option>' in page
    options = re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', page)
    english = [name for name in options if re.fullmatch(r"[A-Za-z ,.'()&-]+", name)]
    assert len(options) >= 249
    assert english == []


def test_a_problem_type_is_translated_in_the_most_reported_list(client, chatgpt):
    ReportCountFactory(service=chatgpt, count=3)

    page = client.get("/hi/status/chatgpt/").content.decode()

    problems = re.search(r'data-testid="top-problems">(.*?)</ul>', page, re.S).group(1)
    assert "लॉगिन" in problems


@pytest.mark.parametrize(("language", "shown"), [("en", "114,527"), ("hi", "1,14,527"),
                                                 ("bn", "1,14,527")])  # fmt: skip
def test_numbers_are_grouped_as_the_language_writes_them(language, shown):
    from django.utils import translation

    with translation.override(language):
        assert num(114527) == shown


def test_a_bengali_page_has_no_bengali_digits(client, chatgpt):
    ReportCountFactory(service=chatgpt, count=1234)

    page = client.get("/bn/status/chatgpt/").content.decode()

    assert not re.search("[\u09e6-\u09ef]", page)


def test_the_hindi_since_follows_the_time(client, chatgpt):
    from django.utils import timezone

    from outages.models import Level
    from tests.factories import StatusFactory

    StatusFactory(service=chatgpt, level=Level.OUTAGE, since=timezone.now())

    page = client.get("/hi/status/chatgpt/").content.decode()

    assert re.search(r'<span class="since"[^>]*><time [^>]*>[^<]* UTC</time> से</span>', page)


def test_the_history_pages_through_every_incident(client, chatgpt):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(days=300)
    oldest = IncidentFactory(service=chatgpt, started_at=start, ended_at=start + timedelta(hours=1))
    for i in range(1, 21):
        at = start + timedelta(days=i)
        IncidentFactory(service=chatgpt, started_at=at, ended_at=at + timedelta(hours=1))

    first = client.get("/status/chatgpt/").content.decode()
    last = client.get("/status/chatgpt/?history=3").content.decode()

    assert f'href="/incidents/{oldest.pk}/"' not in first
    assert 'href="?history=2#history"' in first
    assert f'href="/incidents/{oldest.pk}/"' in last
    assert "Page 3 of 3" in last


@pytest.mark.parametrize("page", ["0", "-1", "x", "9999"])
def test_any_history_page_number_gives_a_page(client, chatgpt, page):
    IncidentFactory(service=chatgpt)

    # By way of the canonical page (the only one cached): web.page_cache.NotCanonical.
    response = client.get(f"/status/chatgpt/?history={page}", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/status/chatgpt/", 302)]


def test_a_nul_history_page_is_a_400_like_every_nul_query_value(client, chatgpt):
    # config.middleware.BadQueryMiddleware (issue 11): NUL never reaches a view.
    assert client.get("/status/chatgpt/?history=%00").status_code == 400


def test_the_service_table_is_rendered_on_the_server_with_the_filling_bucket_marked(
    client, chatgpt
):
    page = client.get("/status/chatgpt/").content.decode()

    rows = re.search(r'data-field="series-rows">(.*?)</tbody>', page, re.S).group(1)
    assert rows.count("<tr>") == 96
    assert rows.count("(so far)") == 1
    assert rows.index("(so far)") < rows.index("<tr>", 5)  # the newest row, first


def test_a_parent_page_lists_problem_types_and_a_by_service_breakdown(client):
    openai = ServiceFactory(slug="openai", name="OpenAI")
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", parent=openai, problems=["login"])
    ReportCountFactory(service=chatgpt, count=5)

    page = client.get("/status/openai/").content.decode()

    problems = re.search(r'data-testid="top-problems">(.*?)</ul>', page, re.S).group(1)
    by_service = re.search(r'data-testid="top-children"[^>]*>(.*?)</ul>', page, re.S).group(1)
    assert "Login" in problems
    assert "ChatGPT" in by_service
    assert "By service, last hour" in page
