"""The hourly roll-up the baseline fit reads months of history from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reports.models import HourlyReportCount, ReportCount
from reports.services import hourly_counts_roll_up
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 3, 27, 14, 7, tzinfo=UTC)


def add(service, problem, country: str, minute: datetime, n: int) -> None:
    ReportCount.objects.create(
        service=service, problem_type=problem, country=country, minute=minute, count=n
    )


def rows() -> set[tuple[int, str, datetime, int]]:
    return set(HourlyReportCount.objects.values_list("service_id", "country", "hour", "count"))


@pytest.fixture
def chatgpt():
    service = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "app"])
    login, app = service.problem_types.order_by("slug")
    return service, login, app


def test_minutes_and_problem_types_are_summed_per_hour_and_country(chatgpt):
    service, login, app = chatgpt
    add(service, login, "US", datetime(2025, 3, 27, 12, 0, tzinfo=UTC), 2)
    add(service, app, "US", datetime(2025, 3, 27, 12, 59, tzinfo=UTC), 3)
    add(service, app, "IN", datetime(2025, 3, 27, 12, 30, tzinfo=UTC), 4)
    add(service, app, "US", datetime(2025, 3, 27, 13, 1, tzinfo=UTC), 5)

    hourly_counts_roll_up(NOW)

    assert rows() == {
        (service.pk, "US", datetime(2025, 3, 27, 12, tzinfo=UTC), 5),
        (service.pk, "IN", datetime(2025, 3, 27, 12, tzinfo=UTC), 4),
        (service.pk, "US", datetime(2025, 3, 27, 13, tzinfo=UTC), 5),
    }


def test_the_current_incomplete_hour_is_not_rolled_up(chatgpt):
    service, login, _ = chatgpt
    add(service, login, "US", NOW - timedelta(minutes=3), 7)

    hourly_counts_roll_up(NOW)

    assert rows() == set()


def test_a_late_count_in_the_last_rolled_hour_is_picked_up_by_the_next_run(chatgpt):
    service, login, _ = chatgpt
    add(service, login, "US", datetime(2025, 3, 27, 13, 58, tzinfo=UTC), 1)
    hourly_counts_roll_up(NOW)
    add(service, login, "US", datetime(2025, 3, 27, 13, 59, tzinfo=UTC), 2)

    hourly_counts_roll_up(NOW + timedelta(hours=1))

    assert rows() == {(service.pk, "US", datetime(2025, 3, 27, 13, tzinfo=UTC), 3)}


def test_rolling_up_twice_gives_the_same_rows(chatgpt):
    service, login, _ = chatgpt
    for day in range(10):  # more than one batch of hours
        add(service, login, "US", NOW - timedelta(days=day, hours=2), day + 1)
    hourly_counts_roll_up(NOW)
    first = rows()

    hourly_counts_roll_up(NOW)

    assert rows() == first and len(first) == 10
