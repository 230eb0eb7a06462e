"""Raw reports, the reporter salts that hash them, and the per-minute roll-up of counts."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from outages.models import ProblemType, Service

COMMENT_MAX_LENGTH = 500


class Report(models.Model):
    """One person's "I have a problem with X". Never holds an IP address."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="reports")
    problem_type = models.ForeignKey(ProblemType, on_delete=models.PROTECT, related_name="+")
    country = CountryField()
    comment = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)
    # HMAC-SHA256 of address and user agent under the day's random salt (see ReporterSalt).
    reporter = models.CharField(max_length=64)
    # The same hash of the client alone (IPv4 address or IPv6 /64), without the user agent: one
    # client changing its user agent is still one voice among the shown comments.
    source = models.CharField(max_length=64, blank=True, default="")
    # False for a repeat within the dedupe window: kept, but not counted.
    counted = models.BooleanField(default=True)
    # Comment moderation: admins hide abusive comments without losing the report.
    comment_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # comments on the service page, newest first.
            models.Index(fields=["service", "-created_at"], name="report_service_recent_idx"),
            # reports.retention deletes by age across every service.
            models.Index(fields=["created_at"], name="report_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.problem_type} {self.country} at {self.created_at:%H:%M:%S}"


class ReporterWindow(models.Model):
    """When a reporter's report for a service last counted: the dedupe rule's memory.

    reports.services claims it with one conditional upsert, so two reports of the same
    reporter arriving at the same instant cannot both count.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    reporter = models.CharField(max_length=64)
    counted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "reporter"], name="one_window_per_reporter")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.reporter[:8]} at {self.counted_at}"


class AddressWindow(models.Model):
    """How many reports from one address (hashed) counted for a service in a fixed window."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    counted = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "address", "window_start"], name="one_tally_per_address_window"
            )
        ]
        indexes = [
            # purge_dedupe_windows deletes by age.
            models.Index(fields=["window_start"], name="addresswindow_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.address[:8]} from {self.window_start}: {self.counted}"


class ReporterSalt(models.Model):
    """A random salt per UTC day; deleting old ones makes old fingerprints unlinkable."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"salt of {self.day}"


class ReportCount(models.Model):
    """Counted reports per service, country, problem type and UTC minute.

    Kept current inside the intake transaction, so every read (status, series, top problems)
    sums these rows and never scans raw reports.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    country = CountryField()
    problem_type = models.ForeignKey(ProblemType, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also the index for a service's series: (service, minute) is its prefix.
            models.UniqueConstraint(
                fields=["service", "minute", "country", "problem_type"],
                name="one_count_per_cell",
            )
        ]
        indexes = [
            # reports_last_hour for every service at once: a range scan on minute.
            models.Index(fields=["minute"], name="reportcount_minute_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.service_id} {self.country} {self.problem_type_id} {self.minute}: {self.count}"
        )


class HourlyReportCount(models.Model):
    """Counted reports per service, country and UTC hour: ReportCount summed over problem
    types and minutes, for reads of months of history (the hourly baseline fit).

    Filled after the fact by reports.services.hourly_counts_roll_up (a periodic task), never by
    the intake, so the intake writes no more rows per report. Only complete hours are rolled
    up; a recomputed hour replaces its rows, so rolling up twice gives the same table.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    country = CountryField()
    hour = models.DateTimeField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also the index of the fit's reads: a chunk of services over a range of hours.
            models.UniqueConstraint(
                fields=["service", "hour", "country"], name="one_count_per_hour"
            )
        ]
        indexes = [
            # hourly_counts_roll_up finds the last hour rolled up.
            models.Index(fields=["hour"], name="hourlycount_hour_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.country} {self.hour}: {self.count}"


class RollupCoarsening(models.Model):
    """How far reports.retention has coarsened ReportCount's minute rows to hourly ones; a
    single row (pk=1). Rows before `coarsened_before` are one per hour."""

    coarsened_before = models.DateTimeField()

    def __str__(self) -> str:
        return f"hourly before {self.coarsened_before}"
