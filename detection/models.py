"""What the detector keeps between runs: fitted baselines and how far it has scored."""

from __future__ import annotations

from django.db import models


class BaselineFit(models.Model):
    """One hourly fit of every series' baseline, as arrays (see detection.engine.Baseline).

    Stored in the database (not a cache) so the web process draws the same band the worker
    tests against, and a restart does not need a refit.
    """

    fitted_at = models.DateTimeField(db_index=True)
    # [[service_id, country], ...] in the order of the arrays; country "" = worldwide.
    series = models.JSONField()
    payload = models.BinaryField()

    class Meta:
        get_latest_by = "fitted_at"
        constraints = [
            models.UniqueConstraint(fields=["fitted_at"], name="one_baseline_fit_per_instant")
        ]

    def __str__(self) -> str:
        return f"baselines of {len(self.series)} series fitted at {self.fitted_at}"


class DetectionCursor(models.Model):
    """The last minute the live detector has scored; a single row (pk=1).

    Each cycle scores the minutes after it and moves it in the same transaction, so running a
    cycle twice, or again after a worker died mid-way, scores each minute exactly once.
    """

    last_minute = models.DateTimeField()

    def __str__(self) -> str:
        return f"scored up to {self.last_minute}"
