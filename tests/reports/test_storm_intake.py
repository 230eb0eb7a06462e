"""The group-commit ASGI intake (reports/intake.py), driven in-process on PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from reports import intake
from reports.models import Report, ReportCount
from tests.factories import ServiceFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the group-commit intake is PostgreSQL-only"
    ),
]


async def django_should_not_be_called(scope, receive, send):
    raise AssertionError(f"fell through to Django: {scope['path']}")


async def call(
    app,
    body: bytes,
    *,
    content_type=b"application/json",
    ua=b"phone",
    address="198.51.100.7",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict, dict]:
    """POST `body` to the intake as a client at `address`; `headers` replace the usual ones."""
    if headers is None:
        headers = [(b"host", b"localhost"), (b"content-type", content_type), (b"user-agent", ua)]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/reports/",
        "headers": headers,
        "client": (address, 5555),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, json.loads(sent[1]["body"])


def report(service="chatgpt", problem="login", country="IN") -> bytes:
    return json.dumps({"service": service, "problem": problem, "country": country}).encode()


@pytest.fixture
def app():
    ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])
    application = intake.StormproofIntake(django_should_not_be_called)
    assert application.enabled
    yield application
    # The writer's connection belongs to a finished event loop: close it at the socket.
    if application.batcher is not None and application.batcher.connection is not None:
        application.batcher.connection.pgconn.finish()


def counted_total() -> int:
    return ReportCount.objects.aggregate(n=Sum("count"))["n"] or 0


def test_valid_report_is_committed_before_the_201(app):
    status, _, body = asyncio.run(call(app, report()))

    assert status == 201
    assert body["counted"] is True and body["service"] == "chatgpt"
    stored = Report.objects.get(pk=body["id"])
    assert (stored.country, stored.problem_type.slug, stored.counted) == ("IN", "login", True)
    assert counted_total() == 1


def test_concurrent_reports_are_group_committed_and_all_stored(app):
    async def storm():
        return await asyncio.gather(
            *(call(app, report(), ua=f"ua-{i}".encode(), address=f"10.0.{i}.1") for i in range(200))
        )

    results = asyncio.run(storm())

    assert [status for status, _, _ in results] == [201] * 200
    assert Report.objects.count() == 200
    assert counted_total() == 200
    assert sorted(body["id"] for _, _, body in results) == sorted(
        Report.objects.values_list("pk", flat=True)
    )


def test_same_reporter_at_the_same_instant_counts_once(app):
    async def twins():
        return await asyncio.gather(*(call(app, report()) for _ in range(20)))

    results = asyncio.run(twins())

    assert sum(body["counted"] for _, _, body in results) == 1
    assert Report.objects.count() == 20
    assert counted_total() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(service="nope"), "service"),
        (report(problem="payments"), "problem"),
        (report(country="XX"), "country"),
        (b'{"service": "chatgpt"}', "problem"),
        (b"[1, 2]", "non_field_errors"),
        (b"{broken", "detail"),
        (b"\xff\xfe\x00", "detail"),
        (
            b'{"service": "chatgpt", "problem": "login", "country": "IN", "comment": "a\\u0000"}',
            "comment",
        ),
        (b"x" * 5000, "detail"),
    ],
)
def test_bad_input_is_a_400_with_field_messages_and_stores_nothing(app, body, field):
    status, _, answer = asyncio.run(call(app, body))

    assert status == 400
    assert field in answer
    assert Report.objects.count() == 0


def test_wrong_content_type_is_415(app):
    status, _, _ = asyncio.run(call(app, report(), content_type=b"text/plain"))

    assert status == 415


def test_database_failure_answers_503_quickly_and_stores_nothing(app, monkeypatch):
    monkeypatch.setattr(intake, "_conninfo", lambda: "host=127.0.0.1 port=1 connect_timeout=1")

    status, headers, _ = asyncio.run(call(app, report()))

    assert status == 503
    assert headers["retry-after"] == "1"
    assert Report.objects.count() == 0


def test_intake_recovers_once_the_database_is_back(app, monkeypatch):
    real = intake._conninfo
    monkeypatch.setattr(intake, "_conninfo", lambda: "host=127.0.0.1 port=1 connect_timeout=1")

    async def outage_then_recovery():
        failed = await call(app, report(), ua=b"a")
        monkeypatch.setattr(intake, "_conninfo", real)
        return failed, await call(app, report(), ua=b"b")

    (down, _, _), (up, _, _) = asyncio.run(outage_then_recovery())

    assert (down, up) == (503, 201)
    assert Report.objects.count() == 1


def test_overload_is_refused_at_once_with_retry_after(app):
    async def overloaded():
        app.batcher = intake.Batcher(max_pending=0)
        return await call(app, report())

    status, headers, _ = asyncio.run(overloaded())

    assert status == 503
    assert headers["retry-after"] == "1"
    assert Report.objects.count() == 0


def refuse_catalogue():
    raise OperationalError("server closed the connection unexpectedly")


def test_while_the_database_restarts_the_known_catalogue_still_validates(app, monkeypatch):
    asyncio.run(call(app, report()))  # the catalogue is loaded
    app.catalogue_at -= intake.CATALOGUE_TTL + 1  # and due for a refresh
    monkeypatch.setattr(intake, "load_catalogue", refuse_catalogue)

    status, _, body = asyncio.run(call(app, report(problem="nope"), ua=b"other"))

    assert status == 400
    assert "problem" in body


def test_without_any_catalogue_a_database_outage_is_a_503_not_a_500(app, monkeypatch):
    monkeypatch.setattr(intake, "load_catalogue", refuse_catalogue)

    status, headers, _ = asyncio.run(call(app, report()))

    assert status == 503
    assert int(headers["retry-after"]) >= 1
