"""Every counting rule (reports/counting.py) through both of its SQL forms: per report
(report_create: the DRF view, the HTML form) and batched (the group-commit ASGI intake that
serves POST /api/v1/reports/ in production). The batched form exists on PostgreSQL only, so on
SQLite only the per-report form is collected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from common.clients import client_from
from reports import intake
from reports.fingerprint import salt_for_day
from reports.models import Report, ReportCount
from reports.services import Reporter, report_create
from reports.validation import catalogue_entry, validate_report
from tests.factories import ServiceFactory

PATHS = ["per_report"] + (["batched"] if connection.vendor == "postgresql" else [])
# 20:00 UTC is the edge of a 4-hour cap step: 19:59:55 and 20:00:05 lie in different steps.
EDGE = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
# The caps' step (reports.promise.CAP_WINDOW_MINUTES, the detector's longest window).
STEP = timedelta(minutes=240)


def client_cap() -> int:
    return settings.REPORT_MAX_COUNTED_PER_ADDRESS


def network_cap() -> int:
    return settings.REPORT_MAX_COUNTED_PER_NETWORK


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=PATHS)
def submit(request):
    """submit(items, together=False) -> counted flags; items are (address, user agent, at)."""
    service = ServiceFactory(slug="smallbank", name="Small Bank", problems=["login"])

    def per_report(items, together=False):
        problem = service.problem_types.get()
        return [
            report_create(
                service=service,
                problem_type=problem,
                country="US",
                reporter=Reporter(address, ua),
                now=at,
            ).counted
            for address, ua, at in items
        ]

    def batched(items, together=False):
        report, errors = validate_report(
            {"service": "smallbank", "problem": "login", "country": "US"},
            catalogue_entry("smallbank"),
        )
        assert not errors
        pendings = [
            intake.Pending.build(
                report,
                client=client_from(address, [], 0),
                user_agent=ua,
                salt_of=salt_for_day,
                at=at,
            )
            for address, ua, at in items
        ]

        async def write() -> list[dict]:
            batcher = intake.Batcher()
            try:
                if together:
                    return await batcher.write(pendings)
                return [(await batcher.write([p]))[0] for p in pendings]
            finally:
                batcher.task.cancel()
                if batcher.connection is not None:
                    await batcher.connection.close()

        return [result["counted"] for result in asyncio.run(write())]

    return per_report if request.param == "per_report" else batched


def counted_total() -> int:
    return ReportCount.objects.aggregate(n=Sum("count"))["n"] or 0


def test_repeat_report_within_window_is_not_counted(submit):
    start = EDGE + timedelta(minutes=3)
    flags = submit([("198.51.100.7", "phone", start + timedelta(minutes=m)) for m in (0, 5, 14)])

    assert flags == [True, False, False]
    assert Report.objects.count() == 3 and counted_total() == 1


def test_report_after_the_dedupe_window_counts_again(submit):
    start = EDGE + timedelta(minutes=3)
    flags = submit(
        [("198.51.100.7", "phone", start), ("198.51.100.7", "phone", start + timedelta(minutes=15))]
    )

    assert flags == [True, True]


def test_same_instant_duplicates_count_once(submit):
    flags = submit([("198.51.100.7", "phone", EDGE)] * 6, together=True)

    assert flags.count(True) == 1 and len(flags) == 6


def test_one_client_counts_at_most_its_cap_whatever_user_agents_it_claims(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([("198.51.100.66", f"bot-{i}", at + timedelta(seconds=i)) for i in range(12)])

    assert flags == [True] * client_cap() + [False] * (12 - client_cap())


def test_a_window_edge_does_not_double_the_cap(submit):
    items = [("198.51.100.66", f"bot-{i}", EDGE + timedelta(seconds=i - 5)) for i in range(10)]

    flags = submit(items)

    assert flags.count(True) == client_cap()


def test_the_cap_frees_again_once_its_windows_have_passed(submit):
    cap = client_cap()
    first = [("198.51.100.66", f"a-{i}", EDGE + timedelta(seconds=i)) for i in range(cap)]
    later = [
        ("198.51.100.66", f"b-{i}", EDGE + 2 * STEP + timedelta(seconds=i)) for i in range(cap)
    ]

    flags = submit(first + later)

    assert flags == [True] * 2 * cap


def test_every_address_of_one_ipv6_slash_64_is_capped_as_one_client(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([(f"2001:db8:5:6::{i:x}", "sora-app", at) for i in range(1, 41)], together=True)

    assert flags.count(True) == 1  # one reporter: same /64, same user agent


def test_a_slash_64_rotating_user_agents_counts_at_most_the_client_cap(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([(f"2001:db8:5:6::{i:x}", f"ua-{i}", at) for i in range(1, 41)])

    assert flags.count(True) == client_cap()


def test_an_ipv4_mapped_address_is_the_same_reporter_as_its_ipv4(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([("198.51.100.7", "phone", at), ("::ffff:198.51.100.7", "phone", at)])

    assert flags == [True, False]


def test_one_network_counts_at_most_the_network_cap_however_many_addresses(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([(f"203.0.113.{i}", "phone", at) for i in range(1, 13)])

    assert flags == [True] * network_cap() + [False] * (12 - network_cap())


def test_addresses_of_different_networks_are_not_capped_together(submit):
    at = EDGE + timedelta(minutes=3)
    flags = submit([(f"203.0.{i}.1", "phone", at) for i in range(1, 13)])

    assert flags == [True] * 12
