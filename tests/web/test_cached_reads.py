"""Cached status answers served by the ASGI fast path (web/cached_reads.py), on Redis."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.conf import settings

from outages.models import Level
from tests.factories import ServiceFactory, StatusFactory
from tests.helpers import RecordingApp, asgi_get, with_throttle_rates
from web import snapshots
from web.cached_reads import CachedStatusReads

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.REDIS_URL, reason="the fast path reads Django's Redis cache"),
]


async def call(app, path: str, query: bytes) -> tuple[int, dict, dict]:  # type: ignore[no-untyped-def]
    status, headers, body = await asgi_get(
        app, path, query=query, headers=[(b"host", b"testserver"), (b"accept", b"application/json")]
    )
    return status, headers, json.loads(body)


@pytest.fixture
def django_app() -> RecordingApp:
    return RecordingApp(b"{}")


@pytest.fixture
def get(django_app):
    """GET through the fast path; one event loop per test, as in a server process."""
    app = CachedStatusReads(django_app, settings.REDIS_URL)
    loop = asyncio.new_event_loop()

    def get_then_settle(path: str, query: bytes = b"") -> tuple[int, dict, dict]:
        answer = loop.run_until_complete(call(app, path, query))
        loop.run_until_complete(asyncio.sleep(0.05))  # background refreshes run meanwhile
        return answer

    yield get_then_settle
    loop.close()


@pytest.fixture
def whatsapp():
    service = ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["messages"])
    StatusFactory(service=service, level=Level.OUTAGE)
    return service


def test_a_cached_answer_is_served_without_django_and_equals_its_answer(
    api_client, get, django_app, whatsapp
):
    from_django = api_client.get("/api/v1/services/whatsapp/").json()

    status, headers, body = get("/api/v1/services/whatsapp/")

    assert status == 200
    assert body == from_django
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert django_app.paths == []


def test_the_list_is_served_per_query_string(api_client, get, django_app, whatsapp):
    from_django = api_client.get("/api/v1/services/?status=ok").json()

    _, _, body = get("/api/v1/services/", b"status=ok")
    get("/api/v1/services/", b"status=outage")

    assert body == from_django
    assert django_app.paths == ["/api/v1/services/"]  # the other query was never asked


def test_a_missing_answer_goes_to_django(get, django_app, whatsapp):
    status, _, _ = get("/api/v1/services/whatsapp/")

    assert status == 299
    assert django_app.paths == ["/api/v1/services/whatsapp/"]


def test_an_answer_older_than_the_last_detection_cycle_is_served_while_django_refreshes_it(
    api_client, get, django_app, whatsapp, time_machine
):
    time_machine.move_to("2024-12-11T23:30:00Z", tick=False)
    api_client.get("/api/v1/services/whatsapp/")
    time_machine.shift(timedelta(seconds=1))
    snapshots.mark_status_published()

    first, _, _ = get("/api/v1/services/whatsapp/")
    second, _, _ = get("/api/v1/services/whatsapp/")

    assert (first, second) == (200, 200)
    assert django_app.paths == ["/api/v1/services/whatsapp/"]  # one refresh, in the background


def test_an_answer_long_out_of_date_goes_to_django(
    api_client, get, django_app, whatsapp, time_machine, settings
):
    time_machine.move_to("2024-12-11T23:30:00Z", tick=False)
    api_client.get("/api/v1/services/whatsapp/")
    time_machine.shift(timedelta(seconds=4 * settings.STATUS_CACHE_SECONDS))

    status, _, _ = get("/api/v1/services/whatsapp/")

    assert status == 299
    assert django_app.paths == ["/api/v1/services/whatsapp/"]


def test_other_paths_and_methods_go_to_django(get, django_app):
    get("/api/v1/services/whatsapp/reports/")
    get("/api/v1/incidents/")

    assert django_app.paths == ["/api/v1/services/whatsapp/reports/", "/api/v1/incidents/"]


def test_cached_reads_are_rate_limited_like_the_api(api_client, get, whatsapp):
    api_client.get("/api/v1/services/whatsapp/")

    with with_throttle_rates(anon="2/min"):
        statuses = [get("/api/v1/services/whatsapp/")[0] for _ in range(3)]
        _, headers, body = get("/api/v1/services/whatsapp/")

    assert statuses == [200, 200, 429]
    assert int(headers["retry-after"]) >= 1
    assert "throttled" in body["detail"]
