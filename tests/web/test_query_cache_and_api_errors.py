"""Issue 25 items 5 and 6 through the production ASGI application: junk query values make no
cached copy, the API answers every error in JSON and refuses empty parameters, and /readyz
names the failed check without the error's text."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.core.cache import cache
from django.db import OperationalError

from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import asgi_call

pytestmark = pytest.mark.django_db(transaction=True)


def get(path: str, query: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    from config.asgi import application

    return asyncio.run(asgi_call(application, "GET", path, query=query))


def cached_copies() -> int:
    """Page and status copies in the cache (locmem in the SQLite pass, Redis in the other)."""
    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):
        return sum(":page:" in k or ":status:" in k for k in cache._cache)
    redis = cache._cache.get_client(write=True)
    return len(redis.keys("*page:*")) + len(redis.keys("*status:*"))


@pytest.fixture
def catalogue():
    ServiceFactory(slug="chatgpt", name="ChatGPT", countries=["IN"], category="ai")
    IncidentFactory(service__slug="zoom")


def test_junk_filter_values_store_no_page_copy_and_lead_to_the_canonical_page(catalogue):
    for path in ("/", "/status/chatgpt/", "/api/v1/services/"):
        get(path)
    before = cached_copies()

    answers = [
        get("/", f"{name}=zz{n}".encode())
        for n in range(20)
        for name in ("country", "category", "status", "page", "history")
    ]
    answers += [get("/status/chatgpt/", f"history={n}".encode()) for n in (0, 2, 99, 9999)]
    # A country the page does not offer (IN is offered: the per-country view is cached).
    answers += [get("/status/chatgpt/", b"country=ZZ")]
    answers += [get("/api/v1/services/", f"category=zz{n}".encode()) for n in range(5)]

    assert cached_copies() == before
    assert {status for status, _, _ in answers} <= {302, 400}
    assert get("/", b"country=zz1")[1]["Location"] == "/"
    assert get("/status/chatgpt/", b"history=9999")[1]["Location"] == "/status/chatgpt/"


def test_real_filter_values_are_cached_once_each(catalogue):
    before = cached_copies()

    for _ in range(3):
        assert get("/", b"country=IN")[0] == 200
        assert get("/", b"category=ai")[0] == 200

    assert cached_copies() == before + 2


@pytest.mark.parametrize(
    "path", ["/api/v1/services/%F0%B1%87%9A/", "/api/v1/services/\U000311da/", "/api/v1/nothing/"]
)
def test_an_unknown_api_path_is_a_json_404(path):
    status, headers, body = get(path)

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/incidents/", b"since=", "since"),
        ("/api/v1/services/", b"category=", "category"),
        ("/api/v1/services/", b"status=", "status"),
        ("/api/v1/services/chatgpt/reports/", b"bucket=", "bucket"),
        ("/api/v1/services/chatgpt/reports/", b"hours=", "hours"),
        ("/api/v1/history/", b"services=chatgpt&bucket=", "bucket"),
        ("/api/v1/acknowledgement/", b"days=", "days"),
    ],
)
def test_an_empty_api_parameter_is_a_400_with_its_field_message(catalogue, path, query, field):
    status, _, body = get(path, query)

    assert status == 400
    assert json.loads(body) == {field: ["This field may not be blank."]}


def test_an_empty_search_is_still_a_search(catalogue):
    assert get("/api/v1/services/", b"search=")[0] == 200


def test_readyz_names_the_failed_check_never_the_error_text(monkeypatch):
    from config import readiness

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError('password authentication failed for user "opendown" at 10.0.0.5')

    monkeypatch.setattr(readiness, "detection_freshness", refused)
    status, _, body = get("/readyz")

    assert status == 503
    assert json.loads(body) == {"status": "error", "failed": ["database"]}
    assert b"10.0.0.5" not in body and b"password" not in body


def test_readyz_names_the_checks_that_are_behind():
    status, _, body = get("/readyz")  # no detection cycle and no baseline yet

    assert status == 503
    assert json.loads(body)["failed"] == ["detection", "baselines"]


def test_only_known_filter_values_make_a_cache_key():
    from web.snapshots import normalised_query

    assert normalised_query("country=IN&category=ai&status=outage&page=2") is not None
    for junk in ("country=zz1", "country=in", "category=zz", "status=down", "page=1001"):
        assert normalised_query(junk) is None, junk
