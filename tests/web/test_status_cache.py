"""The status API is served from the cache, refreshed by detection, and survives the database
(or the cache server) going away."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import override_settings

from outages.models import Level, ProblemType, Status
from reports.services import counts_add
from tests.factories import ServiceFactory, StatusFactory
from web import snapshots

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 12, 11, 23, 30, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def whatsapp():
    service = ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["messages"])
    StatusFactory(service=service, level=Level.OK)
    return service


def report(service, n: int) -> None:
    problem = ProblemType.objects.get(slug="messages")
    counts_add([(service.pk, "IN", problem.pk, NOW, n)])


@contextmanager
def database_down():
    """Every query fails as it does while PostgreSQL restarts."""

    def refuse(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        raise OperationalError("connection failed: server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def whatsapp_row(response) -> dict:
    return next(row for row in response.json()["results"] if row["slug"] == "whatsapp")


def test_status_answers_are_cached_for_a_few_seconds(api_client, clock, whatsapp, settings):
    settings.STATUS_CACHE_SECONDS = 10
    report(whatsapp, 3)
    first = api_client.get("/api/v1/services/")
    report(whatsapp, 4)

    again = api_client.get("/api/v1/services/")
    clock.shift(timedelta(seconds=11))
    later = api_client.get("/api/v1/services/")

    assert whatsapp_row(first)["reports_last_hour"] == 3
    assert whatsapp_row(again)["reports_last_hour"] == 3
    assert again.json()["as_of"] == first.json()["as_of"]
    assert whatsapp_row(later)["reports_last_hour"] == 7
    assert later.json()["stale"] is False


def test_a_detection_cycle_refreshes_cached_status_at_once(api_client, clock, whatsapp):
    assert api_client.get("/api/v1/services/whatsapp/").json()["status"] == "ok"
    Status.objects.filter(service=whatsapp).update(level=Level.OUTAGE)

    clock.shift(timedelta(seconds=1))
    snapshots.mark_status_published()

    assert api_client.get("/api/v1/services/whatsapp/").json()["status"] == "outage"


def test_each_filter_and_page_is_its_own_answer(api_client, clock, whatsapp):
    ServiceFactory(slug="signal", name="Signal")

    everything = api_client.get("/api/v1/services/").json()
    searched = api_client.get("/api/v1/services/?search=sig").json()

    assert everything["count"] == 2
    assert [row["slug"] for row in searched["results"]] == ["signal"]


def test_status_api_serves_last_known_status_marked_stale_while_database_is_down(
    api_client, clock, whatsapp
):
    Status.objects.filter(service=whatsapp).update(level=Level.OUTAGE)
    report(whatsapp, 5)
    known_list = api_client.get("/api/v1/services/").json()
    known_detail = api_client.get("/api/v1/services/whatsapp/").json()
    clock.shift(timedelta(minutes=2))

    with database_down():
        listed = api_client.get("/api/v1/services/")
        detail = api_client.get("/api/v1/services/whatsapp/")

    assert listed.status_code == 200
    assert listed.json()["stale"] is True
    assert listed.json()["results"] == known_list["results"]
    assert detail.status_code == 200
    assert detail.json()["stale"] is True
    assert detail.json()["status"] == "outage"
    assert detail.json()["reports_last_hour"] == 5
    assert detail.json()["as_of"] == known_detail["as_of"]


def test_status_api_is_fresh_again_once_the_database_is_back(api_client, clock, whatsapp):
    api_client.get("/api/v1/services/whatsapp/")
    clock.shift(timedelta(minutes=2))
    with database_down():
        assert api_client.get("/api/v1/services/whatsapp/").json()["stale"] is True
    report(whatsapp, 2)

    clock.shift(timedelta(seconds=snapshots.RETRY_SECONDS + 1))
    body = api_client.get("/api/v1/services/whatsapp/").json()

    assert body["stale"] is False
    assert body["reports_last_hour"] == 2


def test_while_database_is_down_an_unknown_answer_is_a_503_with_retry_after(
    api_client, clock, whatsapp
):
    with database_down():
        response = api_client.get("/api/v1/services/never-seen/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "database" in response.json()["detail"]


def test_while_database_is_down_pages_answer_503_not_500(client, clock, whatsapp):
    with database_down():
        response = client.get("/status/whatsapp/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"Temporarily unavailable" in response.content


DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_without_a_cache_server_status_and_reports_still_work(api_client, clock, whatsapp):
    with override_settings(CACHES=DEAD_REDIS):
        detail = api_client.get("/api/v1/services/whatsapp/")
        created = api_client.post(
            "/api/v1/reports/",
            {"service": "whatsapp", "problem": "messages", "country": "IN"},
            format="json",
        )

    assert detail.status_code == 200
    assert detail.json()["stale"] is False
    assert created.status_code == 201
