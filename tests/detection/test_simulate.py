"""The simulated report streams behind `make eval-outages` keep the promises the benchmark
counts on: reproducible, a crowd in every crash and partial outage, surges timed from when
they double the reports."""

from __future__ import annotations

import numpy as np

from detection.simulate import MIN_CROWD, simulate_stream

SEEDS = range(8)


def stream(seed: int):
    return simulate_stream(np.random.default_rng(seed), history_days=7, days=9)


def test_a_seed_gives_the_same_stream():
    a, b = stream(3), stream(3)

    assert np.array_equal(a.counts, b.counts)
    assert a.events == b.events


def test_a_surge_is_timed_from_when_it_doubles_the_normal_rate():
    # Twice the normal rate of the same minute (noise included): the surge's own doubling.
    # Counting from the first minute at twice the noiseless rhythm instead was tried: with
    # 15-32 % slot noise that first passage comes early, a biased reference.
    for seed in SEEDS:
        s = stream(seed)
        surge = next(e for e in s.events if e.kind == "surge")
        before = slice(surge.start, surge.reference)

        assert s.rate[surge.reference] >= 2 * s.normal[surge.reference]
        assert (s.rate[before] < 2 * s.normal[before]).all()


def test_crashes_and_partial_outages_bring_a_crowd_in_their_first_ten_minutes():
    for seed in SEEDS:
        s = stream(seed)
        for event in (e for e in s.events if e.kind != "surge"):
            first = slice(event.start, event.start + 10)

            assert event.reference == event.start
            assert (s.rate[first] - s.normal[first]).sum() >= MIN_CROWD
