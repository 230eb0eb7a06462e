"""What the detector keeps between runs: fitted baselines and how far it has scored."""

from __future__ import annotations

from django.db import models


class BaselineFit(models.Model):
    """One hourly fit of every series' baseline (see detection.engine.Baseline).

    Stored in the database (not a cache) so the web process draws the same band the worker
    tests against, and a restart does not need a refit. The per-series arrays are one
    SeriesBaseline row each, so a graph reads its own series, not 60,000 of them.
    """

    fitted_at = models.DateTimeField(db_index=True)
    # [[service_id, country], ...] in the order of the rows' positions; country "" = worldwide.
    series = models.JSONField()
    # What every series shares: bucket_seconds, slot_seconds, floor, scale_buckets, fitted_at.
    meta = models.JSONField(default=dict)

    class Meta:
        get_latest_by = "fitted_at"
        constraints = [
            models.UniqueConstraint(fields=["fitted_at"], name="one_baseline_fit_per_instant")
        ]

    def __str__(self) -> str:
        return f"baselines of {len(self.series)} series fitted at {self.fitted_at}"


class SeriesBaseline(models.Model):
    """One series' arrays of a fit: profile, level and dispersions as float64 bytes."""

    fit = models.ForeignKey(BaselineFit, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()  # index of the series in BaselineFit.series
    service_id = models.IntegerField()  # no foreign key: a fit is a snapshot, read as a whole
    country = models.CharField(max_length=2, blank=True)
    payload = models.BinaryField()

    class Meta:
        constraints = [
            # Also the index of a graph's read of one series of the latest fit.
            models.UniqueConstraint(
                fields=["fit", "service_id", "country"], name="one_baseline_per_series_and_fit"
            ),
            # The detector reads a whole fit in this order.
            models.UniqueConstraint(fields=["fit", "position"], name="one_baseline_per_position"),
        ]

    def __str__(self) -> str:
        return f"baseline of {self.service_id} {self.country or 'worldwide'} in fit {self.fit_id}"


class DetectionCursor(models.Model):
    """The last minute the live detector has scored; a single row (pk=1).

    Each cycle scores the minutes after it and moves it in the same transaction, so running a
    cycle twice, or again after a worker died mid-way, scores each minute exactly once.
    """

    last_minute = models.DateTimeField()

    def __str__(self) -> str:
        return f"scored up to {self.last_minute}"
