"""The hourly job's fit from the database: hourly roll-up + recent minutes, in chunks, stored
one row per series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detection import engine, selectors
from detection.series import (
    count_matrix,
    epoch_minute,
    fit_baselines,
    latest_fit,
    load_fit,
    load_series,
    save_fit,
    series_index,
)
from reports.services import hourly_counts_roll_up
from tests.factories import ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = pytest.mark.django_db
# Mid-hour, as the hourly job runs (minute 7), so the history starts and ends mid-hour too.
NOW = datetime(2025, 3, 27, 14, 7, tzinfo=UTC)
CFG = engine.EngineConfig()


@pytest.fixture
def family():
    """A parent and two children with reports in two countries; the history starts mid-hour
    23 days ago, longer than the dispersion's 14 days."""
    rng = np.random.default_rng(3)
    parent = ServiceFactory(slug="meta", name="Meta", problems=["app"])
    children = [
        ServiceFactory(slug=s, name=s.title(), parent=parent, problems=["app"])
        for s in ("facebook", "instagram")
    ]
    start = NOW - timedelta(days=23, minutes=31)
    minutes = int((NOW - start).total_seconds() // 60) + 90  # and rows after now: not read
    t = np.arange(minutes)
    for k, child in enumerate(children):
        for country, share in (("US", 0.3), ("IN", 0.1)):
            rate = share * (k + 1) * (1.2 + np.sin(2 * np.pi * t / 1440))
            counts = rng.poisson(rng.gamma(2.0, rate / 2.0))
            counts[20_000:20_030] += 40  # a past outage, inside the dispersion window
            store_minute_counts(child, start, counts, country=country)
    return parent, children


@pytest.mark.parametrize("history_days", [10, 21, 42])
def test_chunked_fit_from_the_hourly_roll_up_equals_the_dense_minute_fit(family, history_days):
    hourly_counts_roll_up(NOW)
    index = series_index(now=NOW, min_country_reports=1)
    until = epoch_minute(NOW)
    first = until - history_days * 1440

    chunked = fit_baselines(
        index, until=until, history_days=history_days, config=CFG, chunk_series=2
    )
    dense = engine.fit_baseline(
        count_matrix(index, first=first, last=until - 1), first * 60, 60, CFG
    )

    assert len(index) == 7  # three services worldwide, two children in two countries
    np.testing.assert_allclose(chunked.profile, dense.profile, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked.level, dense.level, rtol=1e-12)
    np.testing.assert_allclose(chunked.dispersion, dense.dispersion, rtol=1e-12)


def test_one_series_read_alone_is_the_same_as_in_the_whole_fit(family):
    hourly_counts_roll_up(NOW)
    index = series_index(now=NOW, min_country_reports=1)
    baseline = fit_baselines(index, until=epoch_minute(NOW), history_days=21, config=CFG)
    fit = save_fit(index, baseline, NOW)
    i = index.position[(family[1][0].pk, "US")]

    one = load_series(fit, family[1][0].pk, "US")
    _, whole = load_fit(latest_fit())

    np.testing.assert_array_equal(one.profile[0], whole.profile[i])
    np.testing.assert_array_equal(one.dispersion[0], whole.dispersion[i])
    assert one.level[0] == whole.level[i] and one.fitted_at == whole.fitted_at


def test_a_series_missing_from_the_fit_has_no_band(family):
    hourly_counts_roll_up(NOW)
    index = series_index(now=NOW, min_country_reports=1)
    save_fit(index, fit_baselines(index, until=epoch_minute(NOW), history_days=21, config=CFG), NOW)

    expected, threshold = selectors.baseline_band(family[0].pk, "FR", [NOW], 5)

    assert expected == [None] and threshold == [None]


def test_a_graph_band_decodes_its_own_series_not_the_whole_fit(
    family, monkeypatch, django_assert_max_num_queries
):
    from detection import series

    hourly_counts_roll_up(NOW)
    index = series_index(now=NOW, min_country_reports=1)
    save_fit(index, fit_baselines(index, until=epoch_minute(NOW), history_days=21, config=CFG), NOW)
    decoded: list[int] = []
    decode = series._decode
    monkeypatch.setattr(
        series,
        "_decode",
        lambda payloads, fit: decoded.append(len(payloads)) or decode(payloads, fit),
    )
    buckets = [NOW + timedelta(minutes=5 * k) for k in range(12)]

    # The newest fit; whether the series' own reports can teach a band (its member services,
    # its first report, its first few counts: detection.selectors.baseline_learnt); one row.
    with django_assert_max_num_queries(5) as queries:
        expected, threshold = selectors.baseline_band(family[1][0].pk, "US", buckets, 5)

    assert decoded == [1]  # one series' payload, of the seven in the fit
    assert not any('."series"' in q["sql"] for q in queries.captured_queries)  # nor their list
    assert None not in expected and None not in threshold
