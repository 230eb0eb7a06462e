"""The service page: headline, graph data, problems, countries, comments, history, children."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import IncidentLink, Level, LinkReason
from tests.factories import (
    IncidentFactory,
    ReportCountFactory,
    ReportFactory,
    ServiceFactory,
    StatusFactory,
)

pytestmark = pytest.mark.django_db

COUNTRIES = ["US", "IN", "BR", "GB", "MX", "BD", "DE", "CA", "FR", "PH", "TR", "ID", "ES", "IT"]


@pytest.fixture
def chatgpt():
    return ServiceFactory(
        slug="chatgpt",
        name="ChatGPT",
        problems=["login", "website", "app", "image-generation", "server-connection"],
    )


def chart_data(page: str) -> dict:
    return json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', page, re.S).group(1))


def busy(service) -> None:
    """The heaviest page: counts everywhere, ten linked incidents, ten long comments."""
    now = timezone.now().replace(second=0, microsecond=0)
    for i, code in enumerate(COUNTRIES * 2):
        for problem in service.problem_types.all():
            ReportCountFactory(
                service=service,
                country=code,
                problem_type=problem,
                minute=now - timedelta(minutes=i * 50),
                count=100 + i,
            )
        if i < len(COUNTRIES):
            StatusFactory(service=service, country=code, expected_15m=3.0)
    other = ServiceFactory(slug="openai-api", name="OpenAI API")
    for day in range(10):
        start = now - timedelta(days=day, hours=2)
        mine = IncidentFactory(
            service=service, started_at=start, ended_at=start + timedelta(hours=1)
        )
        theirs = IncidentFactory(
            service=other, started_at=start, ended_at=start + timedelta(hours=1)
        )
        IncidentLink.objects.create(
            from_incident=mine, to_incident=theirs, reason=LinkReason.CO_OCCURRENCE
        )
    for _ in range(12):
        ReportFactory(service=service, comment="Login loops back to the start page. " * 13)


def test_page_is_under_50_kb_even_when_busy(client, chatgpt):
    busy(chatgpt)

    response = client.get("/status/chatgpt/")

    assert response.status_code == 200
    assert len(response.content) < 50 * 1024, len(response.content)


@pytest.mark.parametrize("language", ["en", "hi", "bn"])
def test_page_travels_gzipped_under_15_kb_in_every_language(client, chatgpt, language):
    # Devanagari and Bengali take three bytes a character in UTF-8 (the 250 country names
    # alone add 5 KB): what a phone downloads is the compressed page.
    busy(chatgpt)
    prefix = "" if language == "en" else f"/{language}"

    response = client.get(f"{prefix}/status/chatgpt/", HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 15 * 1024


def test_headline_says_problems_and_when_they_started(client, chatgpt):
    since = timezone.now() - timedelta(minutes=42)
    StatusFactory(service=chatgpt, level=Level.OUTAGE, since=since)

    page = client.get("/status/chatgpt/").content.decode()

    assert "User reports indicate problems at ChatGPT" in page
    assert f'<time datetime="{since.isoformat()}' in page
    assert f"{since:%Y-%m-%d %H:%M} UTC" in page


def test_headline_says_possible_problems(client, chatgpt):
    StatusFactory(service=chatgpt, level=Level.POSSIBLE, since=timezone.now())

    page = client.get("/status/chatgpt/").content.decode()

    assert "User reports indicate possible problems at ChatGPT" in page


def test_graph_data_is_embedded_for_first_paint_without_a_made_up_band(client, chatgpt):
    ReportCountFactory(service=chatgpt, count=9)

    chart = chart_data(client.get("/status/chatgpt/").content.decode())

    assert len(chart["points"]) == 96
    assert chart["points"][-1][1] == 9
    # No baseline fitted yet: the band is absent, not faked.
    assert {p[2] for p in chart["points"]} == {None}
    assert {p[3] for p in chart["points"]} == {None}


def test_incident_periods_are_embedded_for_shading(client, chatgpt):
    start = timezone.now() - timedelta(hours=5)
    IncidentFactory(service=chatgpt, started_at=start, ended_at=start + timedelta(hours=1))
    IncidentFactory(service=chatgpt, started_at=timezone.now() - timedelta(minutes=10))

    chart = chart_data(client.get("/status/chatgpt/").content.decode())

    assert chart["incidents"][0] == [int(start.timestamp()), int(start.timestamp()) + 3600]
    assert chart["incidents"][1][1] is None


def test_most_reported_problems_show_shares_for_the_last_hour_and_the_incident(client, chatgpt):
    login, website = (chatgpt.problem_types.get(slug=s) for s in ("login", "website"))
    ReportCountFactory(service=chatgpt, problem_type=login, count=59)
    ReportCountFactory(service=chatgpt, problem_type=website, count=41)
    IncidentFactory(
        service=chatgpt,
        top_problems=[{"slug": "image-generation", "name": "Image generation", "count": 59,
                       "share": 59.0}],
    )  # fmt: skip

    page = client.get("/status/chatgpt/").content.decode()

    problems = re.search(r'data-testid="top-problems">(.*?)</ul>', page, re.S).group(1)
    assert re.search(r"59 %</span> Login", problems)
    assert re.search(r"41 %</span> Website", problems)
    assert re.search(r"59 %</span> Image generation", page)


def test_where_ranks_countries_and_colours_the_tile_map_against_baseline(client, chatgpt):
    ReportCountFactory(service=chatgpt, country="IN", count=300)
    ReportCountFactory(service=chatgpt, country="BD", count=20)
    StatusFactory(service=chatgpt, country="IN", expected_15m=1.0)

    page = client.get("/status/chatgpt/").content.decode()

    table = re.search(r'<table class="regions">(.*?)</table>', page, re.S).group(1)
    assert table.index("India") < table.index("Bangladesh")
    assert re.search(r'class="t-x10"><title>India: 300</title></use><text[^>]*>IN<', page)
    # Bangladesh has no per-country baseline: coloured by share, and the key says so.
    assert re.search(r'class="t-share"><title>Bangladesh: 20</title></use><text[^>]*>BD<', page)


def test_comments_are_escaped_links_are_not_clickable_and_hidden_ones_absent(client, chatgpt):
    ReportFactory(service=chatgpt, comment='<script>alert("x")</script> see https://evil.example')
    ReportFactory(service=chatgpt, comment="abusive words", comment_hidden=True)

    page = client.get("/status/chatgpt/").content.decode()

    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page
    assert 'href="https://evil.example' not in page
    assert "abusive words" not in page


def test_incident_history_lists_duration_peak_severity_and_linked_services(client, chatgpt):
    start = timezone.now() - timedelta(days=2)
    mine = IncidentFactory(
        service=chatgpt,
        started_at=start,
        ended_at=start + timedelta(hours=2, minutes=5),
        peak_reports=4321,
        severity=Level.OUTAGE,
    )
    api = IncidentFactory(service=ServiceFactory(slug="openai-api", name="OpenAI API"),
                          started_at=start)  # fmt: skip
    IncidentLink.objects.create(from_incident=mine, to_incident=api, reason=LinkReason.SAME_PARENT)

    page = client.get("/status/chatgpt/").content.decode()

    history = re.search(r'data-testid="incidents"[^>]*>(.*?)</table>', page, re.S).group(1)
    assert f'href="/incidents/{mine.pk}/"' in history
    assert "2 h 05 min" in history
    assert "4,321" in history
    assert "Problems" in history
    assert re.search(rf'href="/incidents/{api.pk}/"[^>]*>OpenAI API<', history)


def test_parent_page_shows_its_children_side_by_side(client):
    openai = ServiceFactory(slug="openai", name="OpenAI")
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", parent=openai)
    ServiceFactory(slug="sora", name="Sora", parent=openai)
    StatusFactory(service=chatgpt, level=Level.OUTAGE)

    page = client.get("/status/openai/").content.decode()

    children = re.search(r'<ul class="children">(.*?)</ul>', page, re.S).group(1)
    assert re.search(r'class="child level-outage" data-slug="chatgpt"', children)
    assert 'data-slug="sora"' in children


def test_page_links_its_badge_and_feeds(client, chatgpt):
    page = client.get("/status/chatgpt/").content.decode()

    assert 'src="/status/chatgpt/badge.svg"' in page
    assert 'href="/status/chatgpt/feed/"' in page


@pytest.mark.parametrize(
    ("language", "headline", "button"),
    [
        ("hi", "उपयोगकर्ताओं की रिपोर्टों के अनुसार ChatGPT में अभी कोई समस्या नहीं है",
         "मुझे ChatGPT में समस्या है"),
        ("bn", "ব্যবহারকারীদের রিপোর্ট অনুযায়ী ChatGPT-এ বর্তমানে কোনো সমস্যা নেই",
         "আমার ChatGPT-এ সমস্যা হচ্ছে"),
    ],
)  # fmt: skip
def test_page_is_translated(client, chatgpt, language, headline, button):
    page = client.get(f"/{language}/status/chatgpt/").content.decode()

    assert headline in page
    assert button in page


def test_api_answers_are_not_compressed_even_when_the_client_accepts_it(client, chatgpt):
    response = client.get("/api/v1/services/chatgpt/", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response
    assert json.loads(response.content)["slug"] == "chatgpt"
