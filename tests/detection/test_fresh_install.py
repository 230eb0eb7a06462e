"""Issue 26, fresh install: on an empty database a real crowd opens an incident on the live
path within five minutes, while one client or one network, whatever it sends, does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from detection import services
from outages.models import Incident, Level, Status
from reports.services import Reporter, report_create
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
FIRST = datetime(2026, 3, 4, 12, 0, 5, tzinfo=UTC)


def burst(addresses: list[str], agents: list[str]):
    """40 reports to Steam within four minutes of the database's first report."""
    steam = ServiceFactory(slug="steam", name="Steam", problems=["login"])
    problem = steam.problem_types.get()
    for i, (address, agent) in enumerate(zip(addresses, agents, strict=True)):
        report_create(
            service=steam,
            problem_type=problem,
            country="DE",
            reporter=Reporter(address, agent),
            now=FIRST + timedelta(seconds=6 * i),
        )
    return steam


def cycles(minutes: int) -> None:
    """The live cycle every minute, as beat runs it: no fit yet, so the first one fits."""
    for m in range(1, minutes + 1):
        with time_machine.travel(FIRST + timedelta(minutes=m), tick=False):
            services.detect_spikes()


def test_forty_people_in_forty_networks_open_an_incident_within_five_minutes():
    steam = burst([f"{11 + i}.20.30.40" for i in range(40)], ["Firefox"] * 40)

    cycles(5)

    incident = Incident.objects.get(service=steam, country="")
    assert incident.severity in (Level.POSSIBLE, Level.OUTAGE)
    status = Status.objects.get(service=steam, country="")
    assert status.level != Level.OK
    # The first fit, seconds after the burst, did not take it as the service's normal.
    assert status.expected_15m < 15


@pytest.mark.parametrize(
    "addresses, agents",
    [
        (["198.51.100.7"] * 40, [f"agent {i}" for i in range(40)]),  # one client, many faces
        ([f"198.51.100.{i}" for i in range(40)], ["Firefox"] * 40),  # one network
    ],
    ids=["one-client", "one-network"],
)
def test_one_client_or_one_network_never_opens_one(addresses, agents):
    steam = burst(addresses, agents)

    cycles(20)

    assert not Incident.objects.filter(service=steam).exists()
    assert Status.objects.get(service=steam, country="").level == Level.OK
