"""Issue 11's findings on the Django side: pages, badge, health, admin, status cache."""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from detection import services as detection
from outages.models import Level
from reports.services import Reporter, report_create
from tests.factories import ServiceFactory, StatusFactory
from tests.helpers import RecordingApp, asgi_get, with_throttle_rates
from web import snapshots
from web.cached_reads import CachedStatusReads

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_home_search_is_a_400(client):
    assert client.get("/?q=%00").status_code == 400


def test_a_control_character_in_an_api_filter_is_a_400(client):
    response = client.get("/api/v1/incidents/?service=a%01b")

    assert response.status_code == 400 and "detail" in response.json()


def test_badge_escapes_quotes_as_xml_attribute_text(client):
    ServiceFactory(slug="quoted", name='Evil" onload="alert(1)')

    svg = ET.fromstring(client.get("/status/quoted/badge.svg").content)

    assert set(svg.attrib) == {"width", "height", "role", "aria-label"}
    assert svg.attrib["aria-label"].startswith('Evil" onload="alert(1)')


def test_only_comments_of_counted_reports_are_shown_one_per_reporter(client):
    service = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])
    problem = service.problem_types.get()
    now = timezone.now()
    for i in range(8):  # one phone: 1 counted, 7 repeats
        report_create(
            service=service,
            problem_type=problem,
            country="IN",
            reporter=Reporter("198.51.100.7", "phone"),
            comment=f"spam {i}",
            now=now - timedelta(seconds=8 - i),
        )
    report_create(
        service=service,
        problem_type=problem,
        country="IN",
        reporter=Reporter("203.0.113.1", "other"),
        comment="real one",
        now=now,
    )

    page = client.get("/status/chatgpt/").content.decode()

    assert "real one" in page and "spam 0" in page
    assert not any(f"spam {i}" in page for i in range(1, 8))


def test_one_client_with_many_user_agents_owns_one_comment_slot(client):
    service = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])
    problem = service.problem_types.get()
    now = timezone.now()
    for i in range(5):  # five browsers of one address: all counted (under its cap of 5)
        report_create(
            service=service,
            problem_type=problem,
            country="IN",
            reporter=Reporter("2001:db8:7:7::1", f"browser {i}"),
            comment=f"flood {i}",
            now=now - timedelta(seconds=10 - i),
        )
    for i in range(2):
        report_create(
            service=service,
            problem_type=problem,
            country="IN",
            reporter=Reporter(f"203.0.113.{i + 1}", "phone"),
            comment=f"neighbour {i}",
            now=now - timedelta(seconds=20),
        )

    page = client.get("/status/chatgpt/").content.decode()

    assert sum(f"flood {i}" in page for i in range(5)) == 1
    assert "neighbour 0" in page and "neighbour 1" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="locks and timeouts: PostgreSQL")
def test_healthz_fails_while_the_catalogue_is_locked(client):
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with connections["default"].cursor() as cursor:  # a fresh connection in this thread
            cursor.execute("BEGIN; LOCK TABLE outages_service IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(5)
    try:
        response = client.get("/healthz")
    finally:
        release.set()
        holder.join()

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


@with_throttle_rates(admin_login="3/min")
def test_admin_login_attempts_are_throttled(client, one_rate_window):
    codes = [
        client.post("/admin/login/", {"username": "a", "password": f"guess{i}"}).status_code
        for i in range(5)
    ]

    assert codes == [200, 200, 200, 429, 429]


@with_throttle_rates(reports="3/min", reports_network="10/min")
def test_refused_tries_on_the_drf_path_do_not_spend_the_network_budget(api_client, one_rate_window):
    ServiceFactory(slug="chatgpt", problems=["login"])
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}

    def post(address: str) -> int:
        return api_client.post(
            "/api/v1/reports/", body, format="json", REMOTE_ADDR=address
        ).status_code

    pushy = [post("203.0.113.5") for _ in range(45)]

    assert pushy.count(201) == 3 and pushy.count(429) == 42
    assert post("203.0.113.6") == 201


@pytest.mark.skipif(not settings.REDIS_URL, reason="the cache variants live in Redis")
def test_junk_query_variants_do_not_grow_the_status_cache(api_client):
    StatusFactory(service=ServiceFactory(slug="whatsapp"), level=Level.OK)
    redis = cache._cache.get_client(write=True)
    before = len(redis.keys("*status:*"))

    for i in range(25):
        assert api_client.get(f"/api/v1/services/?junk{i}=x").status_code == 200
        api_client.get("/api/v1/services/", HTTP_X_FORWARDED_PROTO=f"proto{i}")

    assert len(redis.keys("*status:*")) - before <= 2  # the list once, its refresh lock


@pytest.mark.skipif(not settings.REDIS_URL, reason="the cache is Redis")
def test_a_pickle_planted_in_redis_is_never_unpickled(api_client):
    StatusFactory(service=ServiceFactory(slug="whatsapp"), level=Level.OK)
    key = snapshots.answer_key("/api/v1/services/whatsapp/", "", "testserver", "http", "80")
    redis = cache._cache.get_client(write=True)
    redis.set(cache.make_key(key), b"\x80\x04\x95 pickled-by-an-attacker.")

    response = api_client.get("/api/v1/services/whatsapp/")

    assert response.status_code == 200 and response.json()["slug"] == "whatsapp"


@pytest.mark.skipif(not settings.REDIS_URL, reason="the fast path needs Redis configured")
def test_cached_reads_fall_through_to_django_when_redis_is_dead():
    django = RecordingApp(b"{}")
    app = CachedStatusReads(django, "redis://127.0.0.1:1/0")  # nothing listens there

    status, _, _ = asyncio.run(asgi_get(app, "/api/v1/services/"))

    assert status == 299 and django.paths == ["/api/v1/services/"]


def test_a_detection_cycle_itself_marks_the_status_answers_out_of_date(
    django_capture_on_commit_callbacks,
):
    StatusFactory(service=ServiceFactory(slug="whatsapp"), level=Level.OK)
    cache.delete(snapshots.PUBLISHED_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        detection.detect_spikes()

    assert cache.get(snapshots.PUBLISHED_KEY) is not None
