"""The NAB false-alarm diagnostic sorts alarms by the issue's outage shapes (5-minute rows)."""

import numpy as np

from bench.nab_false_alarms import classify

QUIET = [20.0] * 30  # two and a half hours at 20 reports per 5 minutes


def alarm_after(burst: list[float]) -> tuple[np.ndarray, int]:
    """The quiet stretch, then ``burst``; the alarm row is the burst's second bucket."""
    values = np.array(QUIET + burst + [20.0] * 24)
    return values, len(QUIET) + 1


def test_a_tenfold_jump_that_holds_half_an_hour_is_crash_shaped():
    values, row = alarm_after([250.0, 240.0, 120.0, 80.0, 60.0, 60.0])
    assert classify(values, row, 5.0) == "crash-shaped"


def test_four_times_normal_for_twenty_minutes_is_partial_shaped():
    values, row = alarm_after([80.0, 80.0, 80.0, 80.0])
    assert classify(values, row, 5.0) == "partial-shaped"


def test_four_times_normal_for_ten_minutes_is_what_a_partial_outage_looks_like_at_its_deadline():
    values, row = alarm_after([80.0, 80.0])
    assert classify(values, row, 5.0) == "at the partial deadline"


def test_one_and_a_half_times_normal_for_an_hour_is_surge_shaped():
    values, row = alarm_after([34.0] * 12)
    assert classify(values, row, 5.0) == "surge-shaped"


def test_a_mild_bump_that_falls_back_is_other():
    values, row = alarm_after([40.0, 35.0])
    assert classify(values, row, 5.0) == "other"


def test_the_reference_leaves_out_the_quarter_hour_before_the_rise():
    # A ramp in the 15 minutes before the rise does not become its own reference.
    values = np.array(QUIET + [60.0, 70.0, 75.0] + [80.0] * 4 + [20.0] * 24)
    assert classify(values, len(QUIET) + 4, 5.0) == "partial-shaped"
