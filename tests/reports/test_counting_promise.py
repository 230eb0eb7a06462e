"""The counting promise (reports/promise.py), one test per attack of issue 25's table, on the
production path: POST /api/v1/reports/ through the ASGI application as bin/serve runs it (the
group-commit intake on PostgreSQL, Django's view on SQLite), the clock where the attack puts
it, then the detector replayed over the same minutes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.db.models import Sum

from detection import services as detection
from outages.models import Incident
from reports import fingerprint, intake, promise
from reports.models import ReportCount
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

# A Tuesday: 00:00 UTC is both a day boundary (a new salt) and a cap step's edge.
MIDNIGHT = datetime(2026, 5, 5, 0, 0, tzinfo=UTC)
META_FAMILY = ["facebook", "instagram", "whatsapp", "messenger"]


@pytest.fixture
def app():
    # Salts this process cached in earlier tests are gone from the flushed database: forget
    # them, or a day drawn again there would meet a stale one kept here.
    fingerprint._salts.clear()
    application = intake.StormproofIntake(get_asgi_application())
    yield application
    # The writer's connection belongs to a finished event loop: close it at the socket.
    if application.batcher is not None and application.batcher.connection is not None:
        application.batcher.connection.pgconn.finish()


@pytest.fixture
def meta():
    """Meta and its children, as the catalogue has them: the detector adds the children's
    reports into Meta's series."""
    parent = ServiceFactory(slug="meta", name="Meta", problems=["login"])
    for slug in META_FAMILY:
        child = ServiceFactory(slug=slug, problems=["login"])
        child.parent = parent
        child.save(update_fields=["parent"])
    return parent


async def post(app, slug: str, address: str, user_agent: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    body = json.dumps({"service": slug, "problem": "login", "country": "US"}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/reports/",
        "raw_path": b"/api/v1/reports/",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"user-agent", user_agent.encode()),
        ],
        "client": (address, 5555),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client stays connected until answered
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def replay(app, schedule: list[tuple[datetime, str, str, str]]) -> list[bool]:  # type: ignore[no-untyped-def]
    """POST each (time, service, client address, user agent) at its time; the counted flags.
    Every report is a valid one: each must be accepted (201), counted or not."""

    async def run() -> list[bool]:
        flags = []
        for at, slug, address, user_agent in schedule:
            with time_machine.travel(at, tick=False):
                status, body = await post(app, slug, address, user_agent)
            assert status == 201, (at, address, body)
            flags.append(body["counted"])
        return flags

    return asyncio.run(run())


def counted_in(slugs: list[str]) -> int:
    rows = ReportCount.objects.filter(service__slug__in=slugs)
    return rows.aggregate(n=Sum("count"))["n"] or 0


def incidents_after(start: datetime, end: datetime) -> int:
    """The detector replayed minute by minute over [start, end], as live (hourly refits)."""
    detection.backfill(start, end)
    return Incident.objects.count()


def test_one_ipv4_reporting_to_every_service_of_a_family_counts_once_per_family_cap(app, meta):
    start = MIDNIGHT + timedelta(hours=12)
    schedule = [
        (start + timedelta(seconds=5 * i + j), slug, "198.51.100.66", f"phone-{i}-{j}")
        for i, slug in enumerate(["meta", *META_FAMILY])
        for j in range(5)
    ]

    flags = replay(app, schedule)

    assert len(flags) == 25
    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_ADDRESS
    assert counted_in(["meta", *META_FAMILY]) == settings.REPORT_MAX_COUNTED_PER_ADDRESS
    assert incidents_after(start - timedelta(minutes=30), start + timedelta(minutes=30)) == 0


def test_one_slash_24_spread_over_a_family_counts_at_most_the_network_cap(app, meta):
    start = MIDNIGHT + timedelta(hours=12)
    schedule = [
        (start + timedelta(seconds=i), slug, f"203.0.113.{1 + i}", "phone")
        for i, slug in enumerate(["meta", *META_FAMILY] * 4)
    ]

    flags = replay(app, schedule)

    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_NETWORK
    assert incidents_after(start - timedelta(minutes=30), start + timedelta(minutes=30)) == 0


def test_a_slash_24_dripping_under_a_short_window_counts_at_most_its_cap_over_four_hours(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    start = MIDNIGHT + timedelta(hours=12, minutes=7)
    bursts = [start, start + timedelta(minutes=29)]
    schedule = [
        (at + timedelta(seconds=i), "smallbank", f"203.0.113.{1 + 9 * n + i}", "phone")
        for n, at in enumerate(bursts)
        for i in range(9)
    ]

    flags = replay(app, schedule)

    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_NETWORK
    assert incidents_after(start - timedelta(minutes=30), start + timedelta(minutes=60)) == 0


def test_drips_spread_over_four_hours_never_sum_past_the_network_cap(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    start = MIDNIGHT + timedelta(hours=12)
    # Three reports every 29 minutes for four hours, each from a fresh address of one /24.
    schedule = [
        (start + timedelta(minutes=29 * n, seconds=i), "smallbank", f"203.0.113.{3 * n + i}", "ua")
        for n in range(9)
        for i in range(3)
    ]

    replay(app, schedule)

    window = timedelta(minutes=promise.CAP_WINDOW_MINUTES)
    minutes = list(ReportCount.objects.values_list("minute", "count"))
    worst = max(sum(n for m, n in minutes if at <= m < at + window) for at, _ in minutes)
    assert worst <= settings.REPORT_MAX_COUNTED_PER_NETWORK
    assert incidents_after(start, start + timedelta(hours=4, minutes=30)) == 0


def test_one_ipv4_bursting_across_midnight_gets_one_budget(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    # 10 reports in 29 seconds, 23:59:45 to 00:00:14: the new day's salt is no fresh budget.
    schedule = [
        (MIDNIGHT + timedelta(seconds=3 * i - 15), "smallbank", "198.51.100.66", f"ua-{i}")
        for i in range(10)
    ]

    flags = replay(app, schedule)

    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_ADDRESS


def test_one_slash_24_bursting_across_midnight_gets_one_budget(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    # 18 reports in 37 seconds from 18 addresses of one /24, across 00:00 UTC.
    schedule = [
        (MIDNIGHT + timedelta(seconds=2 * i - 18), "smallbank", f"203.0.113.{1 + i}", "phone")
        for i in range(18)
    ]

    flags = replay(app, schedule)

    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_NETWORK
    assert incidents_after(MIDNIGHT - timedelta(minutes=30), MIDNIGHT + timedelta(minutes=30)) == 0


def test_a_budget_spent_before_midnight_is_still_spent_four_hours_later(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    cap = settings.REPORT_MAX_COUNTED_PER_ADDRESS
    before = [
        (MIDNIGHT - timedelta(minutes=1, seconds=i), "smallbank", "198.51.100.66", f"a-{i}")
        for i in range(cap)
    ]
    after = [
        (
            MIDNIGHT + timedelta(hours=3, minutes=58, seconds=i),
            "smallbank",
            "198.51.100.66",
            f"b{i}",
        )
        for i in range(cap)
    ]

    flags = replay(app, before + after)

    assert flags == [True] * cap + [False] * cap


def test_a_slash_48_rotating_slash_64s_for_four_hours_counts_at_most_the_network_cap(app):
    ServiceFactory(slug="smallbank", problems=["login"])
    start = MIDNIGHT + timedelta(hours=12)
    # A fresh /64 of one /48 every 8 minutes: each is a new client, never more than one report.
    schedule = [
        (start + timedelta(minutes=8 * i), "smallbank", f"2001:db8:7:{i:x}::1", "phone")
        for i in range(30)
    ]

    flags = replay(app, schedule)

    assert sum(flags) == settings.REPORT_MAX_COUNTED_PER_NETWORK
    assert incidents_after(start, start + timedelta(hours=4, minutes=30)) == 0
