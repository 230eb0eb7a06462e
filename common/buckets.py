"""Time buckets in UTC: whole minutes, epoch-aligned buckets and epoch-minute integers.

Every roll-up row is keyed by its minute (or hour), and every chart, counter window and
detection series cuts time the same way; one definition keeps them in step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def minute_floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def bucket_start(at: datetime, size: timedelta) -> datetime:
    """Start of the `size`-long bucket holding `at`, buckets aligned to the Unix epoch (the
    same instant whatever `at`'s time zone; a naive `at` is taken as UTC)."""
    epoch = _EPOCH if at.tzinfo else _EPOCH.replace(tzinfo=None)
    return epoch + ((at - epoch) // size) * size


def window_start(now: datetime, minutes: int) -> datetime:
    """First minute of the last `minutes` minutes, the current (partial) minute included."""
    return minute_floor(now) - timedelta(minutes=minutes - 1)


def epoch_minute(at: datetime) -> int:
    """Whole minutes since the Unix epoch (a naive datetime is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp()) // 60


def from_epoch_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(int(minute) * 60, tz=UTC)
