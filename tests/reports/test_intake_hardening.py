"""The abuse findings of issue 11, through the ASGI intake that serves POST /api/v1/reports/
in production (PostgreSQL + Redis), each beside its DRF twin where one exists."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.conf import settings
from django.db import connection

from outages.models import ProblemType
from reports import intake
from reports.models import Report
from tests.factories import ServiceFactory
from tests.helpers import with_throttle_rates
from tests.reports.test_storm_intake import call, django_should_not_be_called, report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the group-commit intake is PostgreSQL-only"
    ),
]
LONE_SURROGATE = (
    b'{"service": "chatgpt", "problem": "login", "country": "IN", "comment": "\\ud800"}'
)
DEEP = b"[" * 2048


@pytest.fixture
def app():
    ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])
    application = intake.StormproofIntake(django_should_not_be_called)
    yield application
    if application.batcher is not None and application.batcher.connection is not None:
        application.batcher.connection.pgconn.finish()


async def call_with(app, body: bytes, headers: list, address: str = "198.51.100.7"):  # type: ignore[no-untyped-def]
    """The intake's answer to `body` with exactly these headers (a JSON content type added)."""
    status, _, payload = await call(
        app, body, address=address, headers=[(b"content-type", b"application/json"), *headers]
    )
    return status, payload


def test_a_lone_surrogate_is_a_400_on_the_intake(app):
    status, _, body = asyncio.run(call(app, LONE_SURROGATE))

    assert status == 400 and "comment" in body
    assert not Report.objects.exists()


def test_a_lone_surrogate_is_a_400_on_the_drf_path_too(api_client, app):
    response = api_client.post("/api/v1/reports/", LONE_SURROGATE, content_type="application/json")

    assert response.status_code == 400 and "comment" in response.json()


def test_deeply_nested_json_is_a_400_on_the_intake(app):
    status, _, body = asyncio.run(call(app, DEEP))

    assert status == 400 and "nested" in body["detail"]


def test_deeply_nested_json_is_a_400_on_the_drf_path_too(api_client, app):
    response = api_client.post("/api/v1/reports/", DEEP, content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json_on_the_intake(app, constant):
    body = b'{"service": "chatgpt", "problem": "login", "country": "IN", "comment": ' + constant
    status, _, answer = asyncio.run(call(app, body + b"}"))

    assert status == 400
    assert answer["detail"].startswith("JSON parse error - Out of range float values")
    assert not Report.objects.exists()


def test_nan_is_not_json_on_the_drf_path_either(api_client, app):
    body = b'{"service": "chatgpt", "problem": "login", "country": "IN", "comment": NaN}'
    response = api_client.post("/api/v1/reports/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - Out of range float values")


def test_a_host_outside_allowed_hosts_is_refused(app):
    status, body = asyncio.run(call_with(app, report(), [(b"host", b"evil.example")]))

    assert status == 400 and body == {"detail": "Invalid Host header."}


def test_a_report_the_database_refuses_does_not_fail_its_neighbours(app):
    # The intake's catalogue is up to 30 s old: a problem type deleted meanwhile is only
    # refused by the database (a foreign key), inside a batch of valid reports.
    doomed = ProblemType.objects.create(slug="doomed", name="Doomed")
    app_service().problem_types.add(doomed)
    asyncio.run(app.current_catalogue())  # doomed included
    doomed.delete()

    async def storm():
        bad = call(app, report(problem="doomed"), ua=b"bad")
        good = [call(app, report(), ua=f"phone-{i}".encode()) for i in range(10)]
        return await asyncio.gather(bad, *good)

    results = asyncio.run(storm())

    assert results[0][0] == 503
    assert [status for status, _, _ in results[1:]] == [201] * 10
    assert Report.objects.count() == 10


def app_service():
    from outages.models import Service

    return Service.objects.get(slug="chatgpt")


needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the intake's limits live in Redis")


@needs_redis
@with_throttle_rates(reports="30/min", reports_network="600/min")
def test_forwarded_for_ports_and_extra_lines_do_not_mint_new_clients(
    app, settings, one_rate_window
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    app.limiter = intake.RateLimiter(settings.REDIS_URL)

    async def storm():
        return [
            await call_with(
                app,
                report(),
                [
                    (b"host", b"localhost"),
                    (b"x-forwarded-for", b"6.6.6.6"),
                    (b"x-forwarded-for", f"198.51.100.7:{1000 + i}".encode()),
                ],
                address="127.0.0.1",
            )
            for i in range(35)
        ]

    statuses = [status for status, _ in asyncio.run(storm())]

    assert statuses == [201] * 30 + [429] * 5


@needs_redis
@with_throttle_rates(reports="3/min", reports_network="10/min")
def test_refused_tries_do_not_spend_the_neighbours_network_budget(app, settings, one_rate_window):
    app.limiter = intake.RateLimiter(settings.REDIS_URL)

    async def storm():
        pushy = [await call(app, report(), address="203.0.113.5") for _ in range(45)]
        neighbour = await call(app, report(), address="203.0.113.6")
        return pushy, neighbour

    pushy, neighbour = asyncio.run(storm())

    assert [s for s, _, _ in pushy] == [201] * 3 + [429] * 42
    assert pushy[-1][1]["retry-after"].isdigit()
    assert neighbour[0] == 201


@needs_redis
@with_throttle_rates(reports="100/min", reports_network="100/min")
def test_the_intake_counts_a_whole_ipv6_slash_64_as_one_client(app, settings, one_rate_window):
    app.limiter = intake.RateLimiter(settings.REDIS_URL)

    async def storm():
        return [
            await call(app, report(), ua=b"sora", address=f"2001:db8:5:6::{i:x}")
            for i in range(1, 41)
        ]

    results = asyncio.run(storm())

    assert [s for s, _, _ in results] == [201] * 40
    assert [b["counted"] for _, _, b in results].count(True) == 1


def test_the_intake_stores_one_client_key_for_all_its_user_agents(app):
    async def main() -> None:
        for agent in (b"phone", b"laptop", b"tablet"):
            body = json.dumps({**json.loads(report()), "comment": agent.decode()}).encode()
            status, _ = await call_with(
                app, body, [(b"host", b"localhost"), (b"user-agent", agent)], "2001:db8:1:2::7"
            )
            assert status == 201
        status, _ = await call_with(app, report(), [(b"host", b"localhost")], "2001:db8:1:2::9")
        assert status == 201

    asyncio.run(main())
    rows = list(Report.objects.values_list("reporter", "source"))

    assert len(rows) == 4 and len({reporter for reporter, _ in rows}) == 4  # agent included
    assert len({source for _, source in rows}) == 1 and rows[0][1]  # one /64, one client
