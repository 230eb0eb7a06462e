"""Reads of the report roll-up: rankings and series, one way for every caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detection.selectors import series_with_band
from outages.models import ProblemType
from reports import selectors
from reports.services import counts_add
from tests.factories import ServiceFactory, StatusFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 12, 12, 1, 7, 30, tzinfo=UTC)


@pytest.fixture
def chatgpt():
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])


def add(service, country: str, minutes_ago: int, n: int) -> None:
    login = ProblemType.objects.get(slug="login")
    counts_add([(service.pk, country, login.pk, NOW - timedelta(minutes=minutes_ago), n)])


def test_region_heat_ranks_countries_as_top_regions_and_adds_the_baseline_ratio(chatgpt):
    add(chatgpt, "US", 1, 5)
    add(chatgpt, "IN", 2, 5)
    add(chatgpt, "BD", 3, 2)
    StatusFactory(service=chatgpt, country="IN", expected_15m=1.0)
    start = NOW - timedelta(minutes=14)

    top = selectors.top_regions(chatgpt, start=start, end=NOW, limit=2)
    heat = selectors.region_heat(chatgpt, start=start, end=NOW)

    assert [(r["country"], r["count"], r["share"]) for r in top] == [
        ("IN", 5, 41.7),
        ("US", 5, 41.7),
    ]
    assert [{k: r[k] for k in top[0]} for r in heat[:2]] == top
    assert [r["country"] for r in heat] == ["IN", "US", "BD"]
    assert heat[0]["expected"] == 1.0 and heat[0]["ratio"] == 5 / 1.0
    assert heat[1]["expected"] is None and heat[1]["ratio"] is None


def test_the_last_hours_series_is_the_window_series_from_its_first_bucket(chatgpt):
    add(chatgpt, "US", 0, 3)
    add(chatgpt, "US", 50, 4)
    add(chatgpt, "US", 61, 100)  # before the first bucket

    start = selectors.series_start(NOW, hours=1, bucket_minutes=15)
    recent = selectors.report_series(chatgpt, now=NOW, hours=1, bucket_minutes=15)

    assert start == datetime(2024, 12, 12, 0, 15, tzinfo=UTC)
    assert recent == selectors.series_between(chatgpt, start=start, end=NOW, bucket_minutes=15)
    assert [b.count for b in recent] == [4, 0, 0, 3]


def test_a_chart_series_without_a_fitted_baseline_has_counts_and_no_band(chatgpt):
    add(chatgpt, "US", 0, 3)

    points = series_with_band(
        chatgpt, start=NOW - timedelta(minutes=15), end=NOW, bucket_minutes=15
    )

    assert [(p.count, p.baseline, p.threshold) for p in points] == [
        (0, None, None),
        (3, None, None),
    ]


def test_reporting_countries_are_those_with_counts_in_the_window_sorted(chatgpt):
    add(chatgpt, "US", 1, 1)
    add(chatgpt, "BD", 2, 1)
    add(chatgpt, "IN", 90, 1)

    assert selectors.reporting_countries(chatgpt, start=NOW - timedelta(minutes=59), end=NOW) == [
        "BD",
        "US",
    ]
