from __future__ import annotations

from datetime import date

import pytest

from reports.fingerprint import purge_salts_before, reporter_fingerprint
from reports.models import ReporterSalt

pytestmark = pytest.mark.django_db


def test_fingerprint_is_stable_within_a_day():
    day = date(2026, 1, 5)
    first = reporter_fingerprint(address="198.51.100.9", user_agent="ua", day=day)

    assert first == reporter_fingerprint(address="198.51.100.9", user_agent="ua", day=day)


def test_fingerprint_changes_with_the_daily_salt():
    today = reporter_fingerprint(address="198.51.100.9", user_agent="ua", day=date(2026, 1, 5))
    tomorrow = reporter_fingerprint(address="198.51.100.9", user_agent="ua", day=date(2026, 1, 6))

    assert today != tomorrow


def test_purge_keeps_yesterday_and_today_and_forgets_older_salts():
    for day in (1, 2, 3, 4):
        reporter_fingerprint(address="a", user_agent="b", day=date(2026, 1, day))

    deleted = purge_salts_before(date(2026, 1, 4))

    assert deleted == 2
    assert sorted(d.day for d in ReporterSalt.objects.values_list("day", flat=True)) == [3, 4]
