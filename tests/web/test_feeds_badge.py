"""The embeddable badge and the RSS/Atom feeds of incidents."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import Level
from tests.factories import IncidentFactory, ServiceFactory, StatusFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def incidents():
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT")
    whatsapp = ServiceFactory(slug="whatsapp", name="WhatsApp")
    start = timezone.now() - timedelta(hours=5)
    IncidentFactory(service=chatgpt, started_at=start, ended_at=start + timedelta(hours=1))
    IncidentFactory(service=chatgpt, severity=Level.OUTAGE)
    IncidentFactory(service=whatsapp, started_at=start)
    IncidentFactory(service=whatsapp, country="IN", started_at=start)  # per-country: not fed
    return chatgpt, whatsapp


def test_badge_is_an_svg_saying_the_status_in_words(client):
    StatusFactory(service=ServiceFactory(slug="chatgpt", name="ChatGPT"), level=Level.OUTAGE)

    response = client.get("/status/chatgpt/badge.svg")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "max-age=60" in response["Cache-Control"]
    svg = ET.fromstring(response.content)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["ChatGPT", "problems"]


def test_badge_escapes_the_service_name(client):
    ServiceFactory(slug="att", name="AT&T <Mobile>")

    svg = ET.fromstring(client.get("/status/att/badge.svg").content)

    assert next(t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")) == "AT&T <Mobile>"


def test_badge_of_unknown_service_is_404(client):
    assert client.get("/status/nope/badge.svg").status_code == 404


def test_overall_rss_feed_lists_worldwide_incidents_newest_first(client, incidents):
    response = client.get("/incidents/feed/")

    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles[0] == "Problems at ChatGPT"
    assert sorted(titles[1:]) == [
        "Possible problems at ChatGPT (resolved)",
        "Possible problems at WhatsApp",
    ]
    assert channel.find("item").findtext("link").startswith("http://testserver/incidents/")


def test_service_feed_has_only_that_service(client, incidents):
    channel = ET.fromstring(client.get("/status/whatsapp/feed/").content).find("channel")

    assert [item.findtext("title") for item in channel.findall("item")] == [
        "Possible problems at WhatsApp"
    ]


def test_atom_feeds_are_valid(client, incidents):
    for url in ("/incidents/feed/atom/", "/status/chatgpt/feed/atom/"):
        response = client.get(url)
        feed = ET.fromstring(response.content)

        assert response["Content-Type"].startswith("application/atom+xml")
        assert feed.tag == f"{ATOM}feed"
        entries = feed.findall(f"{ATOM}entry")
        assert entries and all(e.find(f"{ATOM}updated") is not None for e in entries)


def test_feed_of_unknown_service_is_404(client):
    assert client.get("/status/nope/feed/").status_code == 404
