"""Open data: the daily dump read back against the history API, the /data/ page, methodology."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import time_machine

from detection import services as detection
from opendata import services
from outages.models import IncidentLink, LinkReason
from tests.factories import IncidentFactory, ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 24)
DAY_START = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _dump_dir(settings, tmp_path):
    settings.OPENDATA_DIR = str(tmp_path / "opendata")


@pytest.fixture
def two_services():
    """Slack and Zoom with a week of reports up to the end of DAY and a fitted baseline."""
    rng = np.random.default_rng(5)
    start = DAY_START - timedelta(days=6)
    minutes = 7 * 24 * 60
    for slug, rate in (("slack", 2.0), ("zoom", 0.5)):
        service = ServiceFactory(slug=slug, name=slug.title(), problems=["app"])
        store_minute_counts(service, start, rng.poisson(rate, size=minutes), country="US")
        store_minute_counts(service, start, rng.poisson(rate / 2, size=minutes), country="IN")
    with time_machine.travel(DAY_START + timedelta(days=1), tick=False):
        detection.refresh_baselines()


def read_csv(path) -> list[dict]:
    with gzip.open(path, "rt") as text:
        return list(csv.DictReader(text))


def all_pages(api_client, params: dict) -> list[dict]:
    rows, url = [], "/api/v1/history/"
    response = api_client.get(url, params).json()
    while True:
        rows += response["results"]
        if not response["next"]:
            return rows
        response = api_client.get(response["next"]).json()


def test_a_daily_dump_read_back_matches_the_history_api(two_services, api_client):
    path = services.dump_counts(DAY)
    dumped = [r for r in read_csv(path) if r["country"] == ""]

    api = all_pages(
        api_client,
        {"services": "slack,zoom", "since": DAY_START.isoformat(),
         "until": (DAY_START + timedelta(days=1)).isoformat(), "bucket": "15m"},
    )  # fmt: skip

    assert len(dumped) == len(api) == 2 * 96
    for row, answer in zip(dumped, api, strict=True):
        assert row["service"] == answer["service"]
        assert row["start"] == answer["start"]
        assert (int(row["reports"]) if row["reports"] else None) == answer["count"]
        assert float(row["baseline"]) == pytest.approx(answer["baseline"])
        assert float(row["threshold"]) == pytest.approx(answer["threshold"])
    assert sum(int(r["reports"]) for r in dumped if r["reports"]) > 0


def test_a_dump_has_each_country_beside_the_worldwide_series(two_services):
    rows = read_csv(services.dump_counts(DAY))

    # Where no cell is suppressed (1-4 reports: opendata.selectors.K_FLOOR), the countries add
    # up to the worldwide count.
    worldwide = {(r["service"], r["start"]): r["reports"] for r in rows if not r["country"]}
    by_country: dict = {}
    for r in rows:
        if r["country"]:
            by_country.setdefault((r["service"], r["start"]), []).append(r["reports"])
    complete = {key: cells for key, cells in by_country.items() if "" not in cells}
    assert {r["country"] for r in rows} == {"", "US", "IN"}
    assert len(complete) > 96
    for key, cells in complete.items():
        assert sum(map(int, cells)) == int(worldwide[key])


def test_the_same_day_dumped_twice_gives_the_same_bytes(two_services):
    first = services.dump_counts(DAY).read_bytes()

    assert services.dump_counts(DAY).read_bytes() == first


def test_the_incident_dump_lists_every_incident_with_its_links():
    a = IncidentFactory(service__slug="facebook")
    b = IncidentFactory(service__slug="instagram")
    IncidentLink.objects.create(from_incident=a, to_incident=b, reason=LinkReason.SAME_PARENT)

    rows = {int(r["id"]): r for r in read_csv(services.dump_incidents())}

    assert rows[a.pk]["service"] == "facebook"
    assert rows[a.pk]["related"] == f"{b.pk}:same_parent"
    assert rows[b.pk]["related"] == f"{a.pk}:same_parent"
    assert rows[a.pk]["url"].endswith(f"/incidents/{a.pk}/")


def test_history_paginates_by_service_then_time(two_services, api_client):
    params = {"services": "zoom,slack", "since": DAY_START.isoformat(),
              "until": (DAY_START + timedelta(days=1)).isoformat(), "bucket": "1h"}  # fmt: skip

    response = api_client.get("/api/v1/history/", params).json()

    assert response["count"] == 48
    assert [r["service"] for r in response["results"]] == ["zoom"] * 24 + ["slack"] * 24
    assert response["results"][0]["start"] == "2026-11-24T00:00:00Z"


def test_history_in_days_sums_the_quarter_hours(two_services, api_client):
    window = {"services": "slack", "since": DAY_START.isoformat(),
              "until": (DAY_START + timedelta(days=1)).isoformat()}  # fmt: skip

    day = api_client.get("/api/v1/history/", {**window, "bucket": "1d"}).json()["results"]
    quarters = all_pages(api_client, {**window, "bucket": "15m"})

    assert len(day) == 1
    assert day[0]["count"] == sum(q["count"] for q in quarters)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"services": ""},
        {"services": "nope"},
        {"services": ",".join(f"s{i}" for i in range(21))},
        {"services": "slack", "bucket": "2m"},
        {"services": "slack", "since": "2026-11-25T00:00:00Z", "until": "2026-11-24T00:00:00Z"},
        {"services": "slack", "since": "1900-01-01T00:00:00Z"},
        {"services": "slack", "since": "2020-01-01T00:00:00Z", "until": "2022-01-01T00:00:00Z"},
        {"services": "slack", "since": "not a date"},
    ],
)
def test_history_refuses_bad_queries_with_field_messages(api_client, params):
    ServiceFactory(slug="slack")

    response = api_client.get("/api/v1/history/", params)

    assert response.status_code == 400
    assert response.json()


def test_the_data_page_lists_the_dumps_and_serves_them(two_services, client):
    services.dump_day(DAY)

    page = client.get("/data/")
    download = client.get(f"/data/counts-15m-{DAY.isoformat()}.csv.gz")

    assert f"counts-15m-{DAY.isoformat()}.csv.gz".encode() in page.content
    assert b"CC BY 4.0" in page.content
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(b"".join(download)).decode())))
    assert rows[0]["service"] == "slack"


def test_the_data_page_serves_nothing_but_dumps(client, settings, tmp_path):
    (tmp_path / "opendata").mkdir(parents=True, exist_ok=True)
    (tmp_path / "opendata" / "secret.txt").write_text("no")

    assert client.get("/data/secret.txt").status_code == 404
    assert client.get("/data/..%2Fsettings.py").status_code == 404


def test_methodology_shows_the_measured_figures_and_the_detector_settings(
    client, settings, tmp_path
):
    figures = {"nab": {"dev": {"standard": 72.8, "low_fp": 62.9}},
               "outages": {"crash": {"recall": 0.9, "n": 20, "median_delay_min": 3},
                           "false_alarms_per_series_month": 0.4},
               "measured_at": "2026-11-26"}  # fmt: skip
    (tmp_path / "accuracy.json").write_text(json.dumps(figures))
    settings.ACCURACY_FILE = str(tmp_path / "accuracy.json")

    page = client.get("/methodology/").content.decode()

    assert "72.8" in page and "62.9" in page
    assert "90 %" in page and "0.4" in page
    assert "once in 5,000 is a possible problem" in page
    assert "reach 1.5 times the expected number for a possible problem and 2 times" in page
    assert "comes back within 12 hours of ending is the same outage" in page
    assert "The first 24 hours of every incident are left out" in page


def test_methodology_says_what_is_not_measured_when_keys_are_missing(client, settings, tmp_path):
    (tmp_path / "accuracy.json").write_text('{"nab": {"dev": {"standard": "n/a"}}}')
    settings.ACCURACY_FILE = str(tmp_path / "accuracy.json")

    page = client.get("/methodology/")

    assert page.status_code == 200
    assert b'data-testid="nab-missing"' in page.content
    assert b'data-testid="outages-missing"' in page.content


def test_methodology_survives_a_missing_or_broken_file(client, settings, tmp_path):
    for content in (None, "{not json", "[1, 2]"):
        path = tmp_path / "accuracy.json"
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(content)
        settings.ACCURACY_FILE = str(path)

        assert client.get("/methodology/").status_code == 200


def test_the_page_shows_the_committed_accuracy_file(client, settings):
    from pathlib import Path

    from django.template.defaultfilters import floatformat

    figures = json.loads(Path(settings.ACCURACY_FILE).read_text())

    page = client.get("/methodology/").content.decode()

    for value in [*figures["nab"]["dev"].values(), figures["nab"]["extra"]["standard"]]:
        # The page rounds as Django does (60.55 -> 60.6), not as Python's format (60.5).
        assert f">{floatformat(value, 1)}<" in page


def test_the_openapi_schema_documents_the_new_endpoints(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]

    assert {"/api/v1/subscriptions/", "/api/v1/acknowledgement/", "/api/v1/history/"} <= set(paths)


def test_history_refuses_quarter_hours_where_counts_were_coarsened_to_hours(api_client):
    from reports.models import RollupCoarsening

    ServiceFactory(slug="slack")
    RollupCoarsening.objects.create(pk=1, coarsened_before=DAY_START)
    window = {"services": "slack", "until": (DAY_START + timedelta(hours=1)).isoformat(),
              "since": (DAY_START - timedelta(hours=1)).isoformat()}  # fmt: skip

    assert api_client.get("/api/v1/history/", {**window, "bucket": "15m"}).status_code == 400
    assert api_client.get("/api/v1/history/", {**window, "bucket": "1h"}).status_code == 200


def test_small_counts_are_suppressed_in_the_dump_and_the_history_api(api_client):
    service = ServiceFactory(slug="zoom", problems=["app"])
    # One bucket with 1 report (one person), one with 4, one with 5 and one with 0.
    counts = np.zeros(60, dtype=int)
    counts[0], counts[15], counts[30] = 1, 4, 5
    store_minute_counts(service, DAY_START, counts, country="IN")

    rows = [r for r in read_csv(services.dump_counts(DAY)) if r["country"] == "IN"][:4]
    api = api_client.get(
        "/api/v1/history/",
        {"services": "zoom", "since": DAY_START.isoformat(),
         "until": (DAY_START + timedelta(hours=1)).isoformat()},
    ).json()["results"]  # fmt: skip

    assert [r["reports"] for r in rows] == ["", "", "5", "0"]
    assert [r["count"] for r in api] == [None, None, 5, 0]
