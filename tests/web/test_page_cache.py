"""Pages in a storm (web/page_cache.py): shared-cache headers, one rendering per period
served to every reader, nothing personal cached, and the ASGI edge serving the rendering."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory
from tests.helpers import RecordingApp, asgi_get
from web import page_cache, snapshots
from web.cached_reads import CachedStatusReads

pytestmark = pytest.mark.django_db

SHARED = ("public", "max-age=0", "s-maxage=30", "stale-while-revalidate=60", "stale-if-error=86400")


@pytest.fixture
def chatgpt():
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])


def reports_last_hour(page: bytes) -> str:
    return page.decode().split('data-testid="reports-1h">')[1].split("<")[0]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/status/chatgpt/",
        "/status/chatgpt/feed/",
        "/status/chatgpt/feed/atom/",
        "/incidents/feed/",
        "/api/v1/services/chatgpt/reports/?hours=2&bucket=1m",
        "/api/v1/incidents/",
    ],
)
def test_shared_answers_may_be_kept_by_proxies_and_served_stale(client, chatgpt, path):
    response = client.get(path)

    assert response.status_code == 200
    assert set(SHARED) <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert not response.cookies


def test_incident_page_may_be_kept_by_proxies(client, chatgpt):
    incident = IncidentFactory(service=chatgpt)

    response = client.get(f"/incidents/{incident.pk}/")

    assert "s-maxage=30" in response["Cache-Control"]


def test_badge_may_be_kept_a_minute_by_browsers_and_proxies(client, chatgpt):
    cache_control = client.get("/status/chatgpt/badge.svg")["Cache-Control"]

    assert "max-age=60" in cache_control and "s-maxage=30" in cache_control


def test_a_page_is_rendered_once_per_period_and_served_to_every_reader(client, chatgpt):
    client.get("/status/chatgpt/")
    ReportCountFactory(service=chatgpt, count=7)

    assert reports_last_hour(Client().get("/status/chatgpt/").content) == "0"


def test_a_detection_cycle_makes_the_next_reader_render_the_page_again(client, chatgpt):
    client.get("/status/chatgpt/")
    ReportCountFactory(service=chatgpt, count=7)

    snapshots.mark_status_published()

    assert reports_last_hour(client.get("/status/chatgpt/").content) == "7"


def test_each_language_has_its_own_rendering(client, chatgpt):
    hindi = client.get("/hi/status/chatgpt/").content.decode()
    english = client.get("/status/chatgpt/").content.decode()

    assert '<html lang="hi"' in hindi
    assert '<html lang="en"' in english


def test_the_region_accept_language_names_has_its_own_rendering(client, chatgpt):
    client.get("/status/chatgpt/", HTTP_ACCEPT_LANGUAGE="en-IN")
    page = client.get("/status/chatgpt/", HTTP_ACCEPT_LANGUAGE="en-BD").content.decode()

    assert '<option value="BD" selected>' in page


def test_a_reader_with_a_flash_message_gets_a_fresh_private_page(client, chatgpt):
    client.get("/status/chatgpt/")
    ReportCountFactory(service=chatgpt, count=7)
    client.cookies["messages"] = "anything"

    response = client.get("/status/chatgpt/")

    assert reports_last_hour(response.content) == "7"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_an_unknown_service_is_a_404_that_is_not_kept(client, chatgpt):
    response = client.get("/status/nope/")

    assert response.status_code == 404
    assert "s-maxage" not in response.get("Cache-Control", "")


def edge_get(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, bytes]:  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(
            asgi_get(app, path, headers=[(b"host", b"testserver"), *headers])
        )
    finally:
        loop.close()


redis_only = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the edge reads Django's Redis cache"
)


@redis_only
def test_the_edge_serves_a_rendered_page_without_entering_django(client, chatgpt):
    rendered = client.get("/bn/status/chatgpt/", HTTP_ACCEPT_LANGUAGE="bn-BD").content
    django = RecordingApp()

    status, headers, body = edge_get(
        CachedStatusReads(django, settings.REDIS_URL),
        "/bn/status/chatgpt/",
        [(b"accept-language", b"bn-BD")],
    )

    assert (status, body, django.paths) == (200, rendered, [])
    assert headers["content-language"] == "bn"
    assert "s-maxage=30" in headers["cache-control"]
    assert headers["content-type"].startswith("text/html")


@redis_only
def test_the_edge_passes_a_reader_with_a_session_to_django(client, chatgpt):
    client.get("/status/chatgpt/")
    django = RecordingApp()

    status, _, _ = edge_get(
        CachedStatusReads(django, settings.REDIS_URL),
        "/status/chatgpt/",
        [(b"cookie", b"sessionid=abc")],
    )

    assert (status, django.paths) == (299, ["/status/chatgpt/"])


@redis_only
def test_the_edge_does_not_serve_one_regions_rendering_to_another(client, chatgpt):
    client.get("/status/chatgpt/", HTTP_ACCEPT_LANGUAGE="en-IN")
    django = RecordingApp()

    status, _, _ = edge_get(
        CachedStatusReads(django, settings.REDIS_URL),
        "/status/chatgpt/",
        [(b"accept-language", b"en-BD")],
    )

    assert (status, django.paths) == (299, ["/status/chatgpt/"])


@pytest.mark.skipif(not settings.REDIS_URL, reason="the cache variants live in Redis")
def test_junk_query_hosts_and_schemes_do_not_grow_the_page_cache(client, chatgpt):
    from django.core.cache import cache

    redis = cache._cache.get_client(write=True)
    client.get("/status/chatgpt/")
    before = len(redis.keys("*page:*"))

    for i in range(25):
        assert client.get(f"/status/chatgpt/?junk{i}=x").status_code == 200
        assert client.get("/status/chatgpt/", HTTP_X_FORWARDED_PROTO=f"proto{i}").status_code == 200
        assert client.get(f"/?q=chat{i}").status_code == 200
        assert client.get("/status/chatgpt/", HTTP_HOST=f"evil{i}.example").status_code == 400

    assert len(redis.keys("*page:*")) == before


def test_a_page_key_comes_from_the_normalised_query_and_bounded_variants():
    key = page_cache.page_key

    assert key("/", "country=IN&category=ai", "testserver", "http", "80", "en", "IN") == key(
        "/", "category=ai&country=IN", "TESTSERVER", "http", "80", "en", "IN"
    )
    assert key("/status/chatgpt/", "history=2", "testserver", "http", "80", "hi", "") is not None
    assert key("/", "q=chat", "testserver", "http", "80", "en", "") is None
    assert key("/", "junk=1", "testserver", "http", "80", "en", "") is None
    assert key("/", "history=02", "testserver", "http", "80", "en", "") is None
    assert key("/", "", "testserver:8080", "http", "80", "en", "") is None
    assert key("/", "", "testserver", "http", "80", "en", "") != key(
        "/", "", "testserver", "https", "80", "en", ""
    )
