"""Ballot stuffing, concurrency and rate limits: the counts stay honest under abuse."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from common.clients import network_key
from detection import services as detection
from outages.models import Incident
from reports.models import Report, ReportCount
from reports.services import Reporter, report_create
from tests.factories import ServiceFactory
from tests.helpers import with_throttle_rates

NOW = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)


def counted(service) -> int:
    return ReportCount.objects.filter(service=service).aggregate(n=Sum("count"))["n"] or 0


def submit(service, reporters: list[Reporter], start: datetime) -> None:
    problem = service.problem_types.first()
    for i, reporter in enumerate(reporters):
        report_create(
            service=service,
            problem_type=problem,
            country="US",
            reporter=reporter,
            now=start + timedelta(milliseconds=100 * i),
        )


@pytest.mark.django_db
def test_one_address_counts_at_most_a_few_times_whatever_user_agents_it_claims():
    bank = ServiceFactory(slug="smallbank", problems=["login"])
    submit(bank, [Reporter("198.51.100.66", f"bot-{i}") for i in range(300)], NOW)

    assert Report.objects.filter(service=bank).count() == 300
    assert counted(bank) == settings.REPORT_MAX_COUNTED_PER_ADDRESS


@pytest.mark.django_db
def test_ballot_stuffing_from_one_address_opens_no_incident_but_a_crowd_does():
    stuffed = ServiceFactory(slug="stuffed", problems=["login"])
    real = ServiceFactory(slug="real-outage", problems=["login"])
    start = NOW - timedelta(minutes=10)
    with time_machine.travel(start - timedelta(minutes=1), tick=False):
        detection.refresh_baselines()  # the hourly fit, before the storm
    submit(stuffed, [Reporter("203.0.113.9", f"ua-{i}") for i in range(5000)], start)
    submit(real, [Reporter(f"10.{i // 250}.{i % 250}.1", "phone") for i in range(500)], start)

    with time_machine.travel(NOW, tick=False):
        detection.detect_spikes()

    assert Report.objects.filter(service=stuffed).count() == 5000
    assert not Incident.objects.filter(service=stuffed).exists()
    assert Incident.objects.filter(service=real, country="", ended_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_same_reporter_posting_twice_at_the_same_instant_counts_once():
    service = ServiceFactory(slug="racy", problems=["login"])
    problem = service.problem_types.first()
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        report_create(
            service=service,
            problem_type=problem,
            country="IN",
            reporter=Reporter("192.0.2.1", "same-phone"),
            now=NOW,
        )
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Report.objects.filter(service=service).count() == 8
    assert Report.objects.filter(service=service, counted=True).count() == 1
    assert counted(service) == 1


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2::/64", "2001:db8:1::/48"),
        ("unknown", "unknown"),
    ],
)
def test_networks_are_slash_24_for_ipv4_clients_and_slash_48_for_ipv6_ones(address, network):
    assert network_key(address) == network


@pytest.mark.django_db
@with_throttle_rates(reports="100/min", reports_network="3/min")
def test_a_network_is_limited_even_when_it_rotates_addresses(api_client, one_rate_window):
    ServiceFactory(slug="chatgpt", problems=["login"])
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    codes = [
        api_client.post(
            "/api/v1/reports/", body, format="json", REMOTE_ADDR=f"198.51.100.{i}"
        ).status_code
        for i in range(1, 6)
    ]

    assert codes == [201, 201, 201, 429, 429]
