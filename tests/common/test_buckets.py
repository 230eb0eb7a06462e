"""Time buckets shared by the roll-ups, the charts, the counting windows and detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from common.buckets import bucket_start, epoch_minute, from_epoch_minute, minute_floor, window_start

AT = datetime(2024, 12, 12, 1, 7, 42, 123456, tzinfo=UTC)


def test_a_minute_floor_drops_seconds_and_microseconds():
    assert minute_floor(AT) == datetime(2024, 12, 12, 1, 7, tzinfo=UTC)


def test_buckets_are_aligned_to_the_epoch_whatever_the_instant():
    assert bucket_start(AT, timedelta(minutes=15)) == datetime(2024, 12, 12, 1, 0, tzinfo=UTC)
    assert bucket_start(AT, timedelta(hours=1)) == datetime(2024, 12, 12, 1, 0, tzinfo=UTC)
    assert bucket_start(AT, timedelta(days=1)) == datetime(2024, 12, 12, tzinfo=UTC)


def test_a_bucket_start_is_the_same_instant_in_any_time_zone():
    india = timezone(timedelta(hours=5, minutes=30))

    assert bucket_start(AT.astimezone(india), timedelta(hours=1)) == bucket_start(
        AT, timedelta(hours=1)
    )


def test_the_last_n_minutes_include_the_current_partial_one():
    assert window_start(AT, 60) == datetime(2024, 12, 12, 0, 8, tzinfo=UTC)
    assert window_start(AT, 1) == minute_floor(AT)


def test_epoch_minutes_round_trip_to_the_start_of_the_minute():
    assert from_epoch_minute(epoch_minute(AT)) == minute_floor(AT)
    assert epoch_minute(datetime(1970, 1, 1, 0, 2, 59, tzinfo=UTC)) == 2


def test_a_naive_datetime_is_taken_as_utc():
    assert epoch_minute(AT.replace(tzinfo=None)) == epoch_minute(AT)
