"""Data lifecycle (reports/retention.py): old reports deleted, old minute roll-ups coarsened to
hourly rows with the same sums, old windows dropped, in bounded batches; sizes stay bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from django.test import override_settings

from reports import retention
from reports.models import AddressWindow, HourlyReportCount, Report, ReportCount, ReporterWindow
from reports.selectors import report_series
from reports.services import hourly_counts_roll_up
from tests.factories import ReportFactory, ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def service():
    return ServiceFactory(slug="chatgpt", problems=["login", "website"])


def counts(service, start: datetime, minutes: int, every: int = 1) -> None:
    problem = service.problem_types.first()
    ReportCount.objects.bulk_create(
        ReportCount(
            service=service,
            country="IN",
            problem_type=problem,
            minute=start + timedelta(minutes=m),
            count=2,
        )
        for m in range(0, minutes, every)
    )


@override_settings(REPORT_RETENTION_DAYS=30)
def test_reports_older_than_the_retention_are_deleted_and_newer_ones_kept(service):
    old = ReportFactory(service=service, created_at=NOW - timedelta(days=31))
    recent = ReportFactory(service=service, created_at=NOW - timedelta(days=29))

    retention.apply_retention(NOW)

    assert list(Report.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Report.objects.filter(pk=old.pk).exists()


def test_reports_are_deleted_in_bounded_batches(service, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    for _ in range(10):
        ReportFactory(service=service, created_at=NOW - timedelta(days=40))

    deleted = retention.delete_in_batches(Report.objects.all(), max_batches=2)

    assert (deleted, Report.objects.count()) == (6, 4)


@override_settings(DETECTION_HISTORY_DAYS=42)
def test_minute_rows_past_the_detection_history_become_hourly_rows_with_the_same_sums(service):
    old = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)  # 61 days before NOW
    counts(service, old, 180)
    recent = NOW - timedelta(days=1)
    counts(service, recent, 30)
    series_before = report_series(service, now=old + timedelta(hours=3), hours=3, bucket_minutes=60)
    hourly_counts_roll_up(NOW)

    retention.apply_retention(NOW)

    old_rows = ReportCount.objects.filter(minute__lt=NOW - timedelta(days=42))
    assert sorted(old_rows.values_list("minute", "count")) == [
        (old + timedelta(hours=h), 120) for h in range(3)
    ]
    assert ReportCount.objects.filter(minute__gte=recent).count() == 30
    series_after = report_series(service, now=old + timedelta(hours=3), hours=3, bucket_minutes=60)
    assert [b.count for b in series_after] == [b.count for b in series_before]


@override_settings(DETECTION_HISTORY_DAYS=42)
def test_coarsening_is_bounded_per_run_and_resumes_where_it_stopped(service):
    old = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    counts(service, old, 5 * 60, every=10)
    counts(service, NOW - timedelta(hours=2), 1)  # today's traffic: the roll-up reaches now
    total = ReportCount.objects.aggregate(total=Sum("count"))["total"]
    hourly_counts_roll_up(NOW)

    first = retention.coarsen_report_counts(NOW, max_hours=2)
    rows_after_first = ReportCount.objects.count()
    retention.coarsen_report_counts(NOW, max_hours=10)
    rows_after_second = ReportCount.objects.count()
    third = retention.coarsen_report_counts(NOW, max_hours=10)

    assert first[0] == 2
    # Two hourly rows, three hours of 10-minute rows still to do, and today's row.
    assert rows_after_first == 2 + 3 * 6 + 1
    assert rows_after_second == 5 + 1
    assert third == (0, 0)
    assert ReportCount.objects.aggregate(total=Sum("count"))["total"] == total


@override_settings(DETECTION_HISTORY_DAYS=42)
def test_minute_rows_the_hourly_roll_up_has_not_covered_are_kept(service):
    counts(service, datetime(2026, 4, 1, tzinfo=UTC), 120)

    assert retention.coarsen_report_counts(NOW) == (0, 0)
    assert ReportCount.objects.count() == 120
    assert not HourlyReportCount.objects.exists()


def test_windows_older_than_a_day_are_dropped(service):
    ReporterWindow.objects.create(service=service, reporter="a", counted_at=NOW - timedelta(days=2))
    ReporterWindow.objects.create(service=service, reporter="b", counted_at=NOW)
    AddressWindow.objects.create(
        service=service, address="x", window_start=NOW - timedelta(days=2), counted=1
    )

    retention.apply_retention(NOW)

    assert list(ReporterWindow.objects.values_list("reporter", flat=True)) == ["b"]
    assert not AddressWindow.objects.exists()


@override_settings(DETECTION_HISTORY_DAYS=14, REPORT_RETENTION_DAYS=7)
def test_table_sizes_stay_bounded_over_a_simulated_year(service, monkeypatch):
    """A year, a week at a time, at one roll-up row every 10 minutes and 20 reports a day (the
    policy scaled down to 14 and 7 days so the test stays quick): once the windows are full,
    the minute rows and the reports stop growing; older history adds one row per hour."""
    # A week per transaction instead of 6 hours: the same work in fewer round trips.
    monkeypatch.setattr(retention, "CHUNK_HOURS", 7 * 24)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    problem = service.problem_types.first()
    sizes = []
    for week in range(52):
        monday = start + timedelta(weeks=week)
        counts(service, monday, 7 * 1440, every=10)
        Report.objects.bulk_create(
            Report(
                service=service,
                problem_type=problem,
                country="IN",
                reporter=f"r{week}-{i}",
                created_at=monday + timedelta(hours=i * 1.2),
            )
            for i in range(7 * 20)
        )
        end = monday + timedelta(weeks=1)
        hourly_counts_roll_up(end)  # its own hourly task, a week of it
        retention.coarsen_report_counts(end, max_hours=7 * 24)  # that week's hourly runs
        retention.apply_retention(end)
        minute_rows = ReportCount.objects.filter(minute__gte=end - timedelta(days=14)).count()
        sizes.append((Report.objects.count(), minute_rows, ReportCount.objects.count()))

    reports, minute_rows, _ = zip(*sizes, strict=True)
    assert max(reports) <= 7 * 20
    assert max(minute_rows) <= 14 * 144
    # Older history: one row per hour of the week, never one per 10 minutes.
    assert sizes[-1][2] - sizes[-2][2] == 7 * 24
