"""The acknowledgement clock of a live incident: on the service page, the incident page,
/acknowledgement/ and the APIs, in English, Hindi and Bengali."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from official import services
from official.catalogue import RECORDED_PAGES
from official.models import OfficialIncident, StatusPage
from official.selectors import Ack, acknowledgement, lag_ranking
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

PENDING = {
    "": "OpenAI has not acknowledged it after 27 min.",
    "/hi": "27 मिनट बाद भी OpenAI ने इसे स्वीकार नहीं किया है।",
    "/bn": "27 মিনিট পরেও OpenAI এটি স্বীকার করেনি।",
}


@pytest.fixture
def live(status_server):
    """ChatGPT down for 27 minutes; OpenAI's (recorded) page watched and all clear."""
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT")
    services.catalogue_load(RECORDED_PAGES, base_url=status_server.url)
    services.poll_page(StatusPage.objects.get(name="OpenAI"))
    return IncidentFactory(
        service=chatgpt, country="", started_at=timezone.now() - timedelta(minutes=27, seconds=5)
    )


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.decode()))


def test_an_open_incident_on_a_watched_page_is_pending_with_its_running_minutes(live):
    found = acknowledgement(live)

    assert found.state == Ack.PENDING
    assert (found.vendor, found.crowd_minutes) == ("OpenAI", 27)


@pytest.mark.parametrize("prefix", ["", "/hi", "/bn"])
def test_the_clock_shows_on_the_service_page_in_each_language(client, live, prefix):
    page = client.get(f"{prefix}/status/chatgpt/").content

    assert PENDING[prefix] in text(page)
    assert b"data-clock-minutes" in page and b"official/ack_clock." in page


@pytest.mark.parametrize("prefix", ["", "/hi", "/bn"])
def test_the_clock_shows_on_the_incident_page_in_each_language(client, live, prefix):
    page = client.get(f"{prefix}/incidents/{live.pk}/").content

    assert PENDING[prefix] in text(page)


@pytest.mark.parametrize("prefix", ["", "/hi", "/bn"])
def test_the_clock_shows_on_the_acknowledgement_page_in_each_language(client, live, prefix):
    page = client.get(f"{prefix}/acknowledgement/").content

    assert b'data-testid="ack-live"' in page
    assert PENDING[prefix] in text(page)


def test_the_apis_give_the_clock(api_client, live):
    listed = api_client.get("/api/v1/incidents/", {"service": "chatgpt"}).json()["results"]
    incident = next(i for i in listed if i["id"] == live.pk)
    ranking = api_client.get("/api/v1/acknowledgement/").json()

    assert incident["acknowledgement"] == "pending"
    assert incident["minutes_since_detection"] == 27
    assert incident["acknowledgement_clock"] == PENDING[""]
    (openai,) = ranking
    assert openai["pending"] == 1 and openai["incidents"][0]["active"] is True
    assert openai["incidents"][0]["acknowledgement_clock"] == PENDING[""]


def test_once_the_vendor_posts_the_clock_says_when(live):
    OfficialIncident.objects.create(
        page=StatusPage.objects.get(name="OpenAI"), external_id="now", name="ChatGPT errors",
        components=["ChatGPT"], acknowledged_at=live.started_at + timedelta(minutes=12),
    )  # fmt: skip

    found = acknowledgement(live)

    assert (found.state, found.lag_minutes) == (Ack.ACKNOWLEDGED, 12)


def test_the_ranking_gives_the_share_never_acknowledged(status_server):
    chatgpt = ServiceFactory(slug="chatgpt")
    services.catalogue_load(RECORDED_PAGES, base_url=status_server.url)
    openai = StatusPage.objects.get(name="OpenAI")
    services.poll_page(openai)
    now = timezone.now()
    for hours, lag in ((30, 10), (20, None), (10, None), (5, 20)):
        crowd = IncidentFactory(
            service=chatgpt, country="", started_at=now - timedelta(hours=hours),
            ended_at=now - timedelta(hours=hours - 1),
        )  # fmt: skip
        if lag is not None:
            OfficialIncident.objects.create(
                page=openai, external_id=f"i{hours}", name="down",
                acknowledged_at=crowd.started_at + timedelta(minutes=lag),
                resolved_at=crowd.ended_at,
            )  # fmt: skip

    (row,) = lag_ranking(now=now)

    assert (row.acknowledged, row.never, row.never_share) == (2, 2, 0.5)
    assert row.median_lag_minutes == 15
