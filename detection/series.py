"""Turn roll-up rows into the arrays the engine works on: one row per series, one column per
minute. A series is a service worldwide (country "") or a service in one country; a parent's
worldwide series is the sum of its own and its children's reports.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Sum

from detection import engine
from detection.models import BaselineFit
from outages.models import Service
from reports.models import ReportCount

MINUTE = timedelta(minutes=1)


def epoch_minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def from_epoch_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


@dataclass
class SeriesIndex:
    keys: list[tuple[int, str]]
    parent_of: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {key: i for i, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


def series_index(
    *, now: datetime, min_country_reports: int, service_ids: list[int] | None = None
) -> SeriesIndex:
    """Every service worldwide, plus each service x country with enough recent volume."""
    services = Service.objects.all()
    if service_ids is not None:
        services = services.filter(pk__in=service_ids)
    pairs = list(services.values_list("pk", "parent_id"))
    ids = [pk for pk, _ in pairs]
    busy = (
        ReportCount.objects.filter(
            service_id__in=ids, minute__gte=now - timedelta(days=28), minute__lte=now
        )
        .values_list("service_id", "country")
        .annotate(n=Sum("count"))
        .filter(n__gte=min_country_reports)
        .order_by("service_id", "country")
    )
    keys = [(pk, "") for pk in sorted(ids)] + [(sid, c) for sid, c, _ in busy]
    return SeriesIndex(keys, {pk: parent for pk, parent in pairs if parent in set(ids)})


def count_matrix(index: SeriesIndex, *, first: int, last: int) -> np.ndarray:
    """Counted reports per series and minute, epoch minutes first..last inclusive.

    Minutes before the earliest stored roll-up are NaN (not observed), not zero, so a
    history that starts late does not drag the baseline down.
    """
    n_minutes = last - first + 1
    matrix = np.zeros((len(index), max(n_minutes, 0)))
    if n_minutes <= 0:
        return matrix
    service_ids = {sid for sid, _ in index.keys}
    rows = list(
        ReportCount.objects.filter(
            service_id__in=service_ids,
            minute__gte=from_epoch_minute(first),
            minute__lte=from_epoch_minute(last),
        )
        .values_list("service_id", "country", "minute")
        .annotate(n=Sum("count"))
        .values_list("service_id", "country", "minute", "n")
        .order_by()
    )
    if rows:
        sid = np.array([r[0] for r in rows])
        col = np.array([epoch_minute(r[2]) - first for r in rows])
        n = np.array([r[3] for r in rows], dtype=float)
        pos = index.position
        targets = [
            np.array([pos[(s, "")] for s in sid]),
            np.array([pos.get((index.parent_of.get(s, -1), ""), -1) for s in sid]),
            np.array([pos.get((r[0], r[1]), -1) for r in rows]),
        ]
        for target in targets:
            keep = target >= 0
            np.add.at(matrix, (target[keep], col[keep]), n[keep])
    earliest = ReportCount.objects.order_by("minute").values_list("minute", flat=True).first()
    if earliest is None:
        matrix[:] = np.nan
    elif epoch_minute(earliest) > first:
        matrix[:, : epoch_minute(earliest) - first] = np.nan
    return matrix


def fit_baselines(
    index: SeriesIndex, *, until: int, history_days: int, config: engine.EngineConfig
) -> engine.Baseline:
    """Fit every series' baseline on the minutes strictly before epoch minute `until`."""
    first = until - history_days * 24 * 60
    history = count_matrix(index, first=first, last=until - 1)
    return engine.fit_baseline(history, first * 60, 60, config)


def save_fit(index: SeriesIndex, baseline: engine.Baseline, fitted_at: datetime) -> BaselineFit:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        profile=baseline.profile,
        level=baseline.level,
        dispersion=baseline.dispersion,
        meta=np.array(
            [baseline.bucket_seconds, baseline.slot_seconds, baseline.floor, baseline.fitted_at]
        ),
        scale_buckets=np.array(baseline.scale_buckets),
    )
    with transaction.atomic():
        # A refit at the same instant (a redelivered task) replaces that fit: one per instant.
        BaselineFit.objects.filter(fitted_at=fitted_at).delete()
        fit = BaselineFit.objects.create(
            fitted_at=fitted_at, series=[list(k) for k in index.keys], payload=buffer.getvalue()
        )
    # Keep a few for inspection; the detector and the graphs only read the latest.
    stale = BaselineFit.objects.order_by("-fitted_at").values_list("pk", flat=True)[3:]
    BaselineFit.objects.filter(pk__in=list(stale)).delete()
    return fit


# The last decoded fit: a fit never changes once written. Keyed by more than the primary key,
# which SQLite may hand out again after every fit was deleted (detection.services.reset).
_decoded: dict[tuple[int, datetime, int], tuple[SeriesIndex, engine.Baseline]] = {}


def load_fit(fit: BaselineFit) -> tuple[SeriesIndex, engine.Baseline]:
    key = (fit.pk, fit.fitted_at, hash(str(fit.series)))
    if key not in _decoded:
        arrays = np.load(io.BytesIO(bytes(fit.payload)))
        bucket_seconds, slot_seconds, floor, fitted_at = arrays["meta"].tolist()
        baseline = engine.Baseline(
            profile=arrays["profile"],
            level=arrays["level"],
            dispersion=arrays["dispersion"],
            bucket_seconds=bucket_seconds,
            slot_seconds=slot_seconds,
            floor=floor,
            scale_buckets=tuple(int(k) for k in arrays["scale_buckets"]),
            fitted_at=fitted_at,
        )
        parents = dict(Service.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
        index = SeriesIndex([(sid, c) for sid, c in fit.series], parents)
        _decoded.clear()
        _decoded[key] = (index, baseline)
    return _decoded[key]


def latest_fit() -> BaselineFit | None:
    return BaselineFit.objects.order_by("-fitted_at", "-pk").first()
