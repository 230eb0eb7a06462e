"""Open data never gives a bucket after now, and flags the one still filling (issue 29)."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine

from opendata import services
from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 9, 20, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _dump_dir(settings, tmp_path):
    settings.OPENDATA_DIR = str(tmp_path / "opendata")


@pytest.fixture
def slack():
    service = ServiceFactory(slug="slack", name="Slack", problems=["app"])
    # The demo writes ahead of the clock: reports stored for minutes after now.
    store_minute_counts(service, NOW - timedelta(hours=2), np.full(4 * 60, 3), country="US")
    return service


def test_the_history_api_stops_at_now_and_flags_the_filling_bucket(slack, api_client):
    with time_machine.travel(NOW, tick=False):
        rows = api_client.get(
            "/api/v1/history/",
            {"services": "slack", "since": "2026-11-24T08:00:00Z", "until": "2026-11-24T12:00:00Z"},
        ).json()["results"]

    assert rows[-1]["start"] == "2026-11-24T09:15:00Z"
    assert [r["partial"] for r in rows] == [False] * (len(rows) - 1) + [True]
    # 09:15 to 09:20 is six minutes so far, not a whole bucket.
    assert rows[-1]["count"] == 6 * 3
    assert rows[-2]["count"] == 15 * 3


def test_a_dump_of_today_has_no_bucket_after_now_and_flags_the_filling_one(slack):
    IncidentFactory(service=slack, started_at=NOW - timedelta(minutes=30))
    with time_machine.travel(NOW, tick=False):
        counts, incidents = services.dump_day(NOW.date())

    with gzip.open(counts, "rt") as text:
        rows = [r for r in csv.DictReader(text) if r["country"] == ""]
    assert rows[-1]["start"] == "2026-11-24T09:15:00Z"
    assert [r["partial"] for r in rows] == ["0"] * (len(rows) - 1) + ["1"]
    with gzip.open(incidents, "rt") as text:
        incident = next(csv.DictReader(text))
    # One timestamp form in every file: ...Z, as the API writes it.
    assert incident["started_at"].endswith("Z") and "+00:00" not in incident["started_at"]
