"""Turn roll-up rows into the arrays the engine works on: one row per series, one column per
minute. A series is a service worldwide (country "") or a service in one country; a parent's
worldwide series is the sum of its own and its children's reports.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat

import numpy as np
from django.db import connection, transaction
from django.db.models import Func, IntegerField, QuerySet, Sum

from common.buckets import epoch_minute, from_epoch_minute
from detection import engine
from detection.models import BaselineFit, SeriesBaseline
from outages.models import Service
from reports.models import HourlyReportCount, ReportCount

MINUTE = timedelta(minutes=1)


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


def observed_since() -> int | None:
    """Epoch minute of the first observed minute (before it: NaN, not zero), None if none.

    The minute roll-up's first row, unless the hourly roll-up reaches further back (minute
    rows older than what the fit reads may have been dropped): then its first hour.
    """
    minute = ReportCount.objects.order_by("minute").values_list("minute", flat=True).first()
    hour = HourlyReportCount.objects.order_by("hour").values_list("hour", flat=True).first()
    if hour is not None and (minute is None or epoch_minute(hour) <= epoch_minute(minute) - 60):
        return epoch_minute(hour)
    return None if minute is None else epoch_minute(minute)


def _related_services(index: SeriesIndex, service_ids: set[int]) -> set[int]:
    """The services whose rows feed these services' series: themselves and their children."""
    return service_ids | {
        child for child, parent in index.parent_of.items() if parent in service_ids
    }


class EpochMinute(Func):
    """Minutes since 1970 of a UTC datetime column, computed by the database: turning months
    of timestamps into Python datetimes costs ~20 us a row, most of the hourly job's time."""

    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "(EXTRACT(EPOCH FROM %(expressions)s)::bigint / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%s' survives both Django's template formatting and its SQLite placeholder rewrite.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _raw_rows(queryset: QuerySet) -> list[tuple]:
    """A values_list query's rows as the driver returns them, without Django's per-row
    converters (a few us a row, which months of rows turn into most of the job's time)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _accumulate(index: SeriesIndex, matrix: np.ndarray, rows: list[tuple], first: int) -> None:
    """Add (service_id, country, column + first, n) rows to each series they count for: the
    service worldwide, its parent worldwide and the service in that country."""
    if not rows:
        return
    sids, countries, times, counts = zip(*rows, strict=True)
    sid = np.array(sids, dtype=np.int64)
    col = np.array(times, dtype=np.int64) - first
    n = np.array(counts, dtype=float)
    pos = index.position
    # Per service id (an array lookup, not a dict lookup per row): its worldwide series and
    # its parent's.
    world = np.full(int(sid.max()) + 1, -1)
    parent = np.full_like(world, -1)
    for s in np.unique(sid).tolist():
        world[s] = pos.get((s, ""), -1)
        parent[s] = pos.get((index.parent_of.get(s, -1), ""), -1)
    own = np.fromiter(
        map(pos.get, zip(sids, countries, strict=True), repeat(-1)), np.int64, len(sids)
    )
    for target in (world[sid], parent[sid], own):
        keep = target >= 0
        np.add.at(matrix, (target[keep], col[keep]), n[keep])


_LOOK_UP = object()  # count_matrix looks the first observed minute up itself


def count_matrix(
    index: SeriesIndex,
    *,
    first: int,
    last: int,
    since: int | object | None = _LOOK_UP,
    service_ids: set[int] | None = None,
) -> np.ndarray:
    """Counted reports per series and minute, epoch minutes first..last inclusive.

    Minutes before the first observed one (``since``; looked up when not given) are NaN (not
    observed), not zero, so a history that starts late does not drag the baseline down.
    ``service_ids``: whose rows to read (default: the index's services).
    """
    n_minutes = last - first + 1
    matrix = np.zeros((len(index), max(n_minutes, 0)))
    if n_minutes <= 0:
        return matrix
    if service_ids is None:
        service_ids = {sid for sid, _ in index.keys}
    rows = _raw_rows(
        ReportCount.objects.filter(
            service_id__in=service_ids,
            minute__gte=from_epoch_minute(first),
            minute__lte=from_epoch_minute(last),
        )
        .annotate(at=EpochMinute("minute"))
        .values_list("service_id", "country", "at")
        .annotate(n=Sum("count"))
        .values_list("service_id", "country", "at", "n")
        .order_by()
    )
    _accumulate(index, matrix, rows, first)
    if since is _LOOK_UP:
        since = observed_since()
    if since is None:
        matrix[:] = np.nan
    elif since > first:
        matrix[:, : since - first] = np.nan
    return matrix


def hour_matrix(
    index: SeriesIndex, *, first_hour: int, n_hours: int, service_ids: set[int]
) -> np.ndarray:
    """Reports per series and hour from the hourly roll-up; epoch hour ``first_hour`` first."""
    matrix = np.zeros((len(index), n_hours))
    if n_hours <= 0:
        return matrix
    rows = _raw_rows(
        HourlyReportCount.objects.filter(
            service_id__in=service_ids,
            hour__gte=from_epoch_minute(first_hour * 60),
            hour__lt=from_epoch_minute((first_hour + n_hours) * 60),
        )
        .annotate(at=EpochMinute("hour") / 60)
        .values_list("service_id", "country", "at", "count")
        .order_by()
    )
    _accumulate(index, matrix, rows, first_hour)
    return matrix


# Series fitted at once. Memory per chunk is dominated by the dispersion window (14 days of
# minutes, ~20,000 float64 columns) and the fit's temporaries, about 8 copies of it: 300
# series -> 300 x 20,160 x 8 B x 8 = 390 MB; with two chunks being fitted and a third being
# read, about 1 GB, well under the 2 GB the hourly job may use.
FIT_CHUNK_SERIES = 300
# Chunks fitted at once, one per core of the 2-core machine the job is sized for.
FIT_THREADS = 2


def _chunks(index: SeriesIndex, size: int) -> list[list[int]]:
    """Positions of the series, grouped by service (a service's series stay together) into
    chunks of about ``size`` series."""
    by_service: dict[int, list[int]] = {}
    for i, (sid, _) in enumerate(index.keys):
        by_service.setdefault(sid, []).append(i)
    chunks: list[list[int]] = [[]]
    for sid in sorted(by_service):
        if len(chunks[-1]) >= size:
            chunks.append([])
        chunks[-1].extend(by_service[sid])
    return [c for c in chunks if c]


def fit_baselines(
    index: SeriesIndex,
    *,
    until: int,
    history_days: int,
    config: engine.EngineConfig,
    chunk_series: int = FIT_CHUNK_SERIES,
    exclude: list[tuple[int, int, int]] = (),
) -> engine.Baseline:
    """Fit every series' baseline on the minutes strictly before epoch minute `until`,
    leaving out the `exclude` stretches (series position, first, last epoch minute): whole
    hours of them from the profile and level, their minutes from the dispersion.

    The same fit as ``engine.fit_baseline`` on the dense minute matrix, without building it:
    the profile reads whole hours from the hourly roll-up and minutes only where it must
    (the hour the history starts in and the recent ``dispersion_days`` the dispersion needs,
    from the hour they start in), series by chunks of ``chunk_series``.
    """
    if config.slot_minutes != 60:
        raise ValueError("the hourly roll-up serves one-hour time-of-week slots only")
    first = until - round(min(history_days, config.history_days) * 24 * 60)
    recent = until - round(config.dispersion_days * 24 * 60)
    # Minutes from `minute_from` on; whole hours `hour_from` .. `minute_from` from the roll-up.
    minute_from = first if recent <= first else max(first, recent - recent % 60)
    hour_from = min(-(-first // 60) * 60, minute_from)
    slots_start = first - first % 60
    n_slots = -(-(until - slots_start) // 60)
    since = observed_since()
    # Observed minutes of each hour taken from the roll-up (the same for every series).
    hours = np.arange(hour_from // 60, minute_from // 60) * 60
    if since is None:
        seen = np.zeros(len(hours))
    else:
        seen = np.clip(hours + 60 - np.maximum(hours, since), 0, 60).astype(float)
    span = (slots_start, minute_from, until)
    parts = []
    running: deque = deque()
    pool = ThreadPoolExecutor(max_workers=FIT_THREADS)
    for chunk in _chunks(index, chunk_series):
        sub = SeriesIndex([index.keys[i] for i in chunk], index.parent_of)
        feeds = _related_services(index, {sid for sid, _ in sub.keys})
        sums = np.zeros((len(sub), n_slots))
        observed = np.zeros_like(sums)
        lead = count_matrix(sub, first=first, last=hour_from - 1, since=since, service_ids=feeds)
        if lead.shape[1]:
            s, o, _ = engine.slot_sums(lead, first * 60, 60, config)
            sums[:, : s.shape[1]] += s
            observed[:, : o.shape[1]] += o
        at = (hour_from - slots_start) // 60
        sums[:, at : at + len(hours)] = hour_matrix(
            sub, first_hour=hour_from // 60, n_hours=len(hours), service_ids=feeds
        )
        observed[:, at : at + len(hours)] = seen
        minutes = count_matrix(
            sub, first=minute_from, last=until - 1, since=since, service_ids=feeds
        )
        s, o, _ = engine.slot_sums(minutes, minute_from * 60, 60, config)
        at = (minute_from - slots_start) // 60
        sums[:, at : at + s.shape[1]] += s
        observed[:, at : at + o.shape[1]] += o
        rows = {i: r for r, i in enumerate(chunk)}
        mine = [(rows[i], lo, hi) for i, lo, hi in exclude if i in rows]
        if mine:  # incident stretches: unobserved hours for the profile, NaN minutes
            hours_of = [
                (r, (lo - slots_start) // 60, (hi - slots_start) // 60) for r, lo, hi in mine
            ]
            unseen = exclusion_mask(sums.shape, 0, hours_of)
            sums[unseen], observed[unseen] = 0.0, 0.0
            minutes = np.where(exclusion_mask(minutes.shape, minute_from, mine), np.nan, minutes)
        # The next chunk is read while the pool fits this one: numpy releases the GIL, so
        # the fit of two chunks and the database read of a third overlap.
        running.append((chunk, pool.submit(_fit_chunk, sums, observed, minutes, span, config)))
        while len(running) > FIT_THREADS:  # bounds memory: chunks in flight
            done, future = running.popleft()
            parts.append((done, future.result()))
    parts.extend((done, future.result()) for done, future in running)
    pool.shutdown()
    return _gather(index, parts, until * 60, config)


def _fit_chunk(
    sums: np.ndarray,
    observed: np.ndarray,
    minutes: np.ndarray,
    span: tuple[int, int, int],
    config: engine.EngineConfig,
) -> engine.Baseline:
    """The numeric part of one chunk (no database: it runs in a worker thread)."""
    slots_start, minute_from, until = span
    stage = engine.fit_profile(sums, observed, slots_start * 60, until * 60, 60, config)
    return engine.fit_dispersion(stage, minutes, minute_from * 60, config)


def _gather(
    index: SeriesIndex,
    parts: list[tuple[list[int], engine.Baseline]],
    fitted_at: float,
    config: engine.EngineConfig,
) -> engine.Baseline:
    """One Baseline of every series, in index order, from the chunks' baselines."""
    base = engine.fit_baseline(np.zeros((len(index), 0)), fitted_at, 60, config)  # priors
    profile, level, dispersion = base.profile.copy(), base.level.copy(), base.dispersion.copy()
    for chunk, fitted in parts:
        profile[chunk], level[chunk], dispersion[chunk] = (
            fitted.profile,
            fitted.level,
            fitted.dispersion,
        )
    return dataclasses.replace(base, profile=profile, level=level, dispersion=dispersion)


def _series_payload(baseline: engine.Baseline) -> np.ndarray:
    """(n, spw + 1 + n_scales) float64: each series' arrays side by side, one row each."""
    return np.column_stack([baseline.profile, baseline.level, baseline.dispersion])


def exclusion_mask(
    shape: tuple[int, int], first: int, stretches: list[tuple[int, int, int]]
) -> np.ndarray | None:
    """Boolean (series x minutes) mask from (series position, first, last epoch minute)
    stretches, for a matrix whose column 0 is epoch minute `first`; None when there are none."""
    if not stretches:
        return None
    mask = np.zeros(shape, dtype=bool)
    for row, lo, hi in stretches:
        mask[row, max(lo - first, 0) : max(hi - first + 1, 0)] = True
    return mask


def save_fit(index: SeriesIndex, baseline: engine.Baseline, fitted_at: datetime) -> BaselineFit:
    rows = np.ascontiguousarray(_series_payload(baseline), dtype="<f8")
    meta = {
        "bucket_seconds": baseline.bucket_seconds,
        "slot_seconds": baseline.slot_seconds,
        "floor": baseline.floor,
        "scale_buckets": list(baseline.scale_buckets),
        "fitted_at": baseline.fitted_at,
    }
    with transaction.atomic():
        # A refit at the same instant (a redelivered task) replaces that fit: one per instant.
        BaselineFit.objects.filter(fitted_at=fitted_at).delete()
        fit = BaselineFit.objects.create(
            fitted_at=fitted_at, series=[list(k) for k in index.keys], meta=meta
        )
        SeriesBaseline.objects.bulk_create(
            (
                SeriesBaseline(
                    fit=fit, position=i, service_id=sid, country=country, payload=rows[i].tobytes()
                )
                for i, (sid, country) in enumerate(index.keys)
            ),
            batch_size=2000,
        )
    # Keep a few for inspection; the detector and the graphs only read the latest.
    stale = BaselineFit.objects.order_by("-fitted_at").values_list("pk", flat=True)[3:]
    BaselineFit.objects.filter(pk__in=list(stale)).delete()
    return fit


def _baseline(fit: BaselineFit, rows: np.ndarray) -> engine.Baseline:
    meta = fit.meta
    scales = tuple(int(k) for k in meta["scale_buckets"])
    spw = rows.shape[1] - 1 - len(scales)
    return engine.Baseline(
        profile=rows[:, :spw],
        level=rows[:, spw],
        dispersion=rows[:, spw + 1 :],
        bucket_seconds=meta["bucket_seconds"],
        slot_seconds=meta["slot_seconds"],
        floor=meta["floor"],
        scale_buckets=scales,
        fitted_at=meta["fitted_at"],
    )


def _decode(payloads: list[bytes], fit: BaselineFit) -> np.ndarray:
    width = len(payloads[0]) // 8 if payloads else 168 + 1 + len(fit.meta["scale_buckets"])
    return np.frombuffer(b"".join(payloads), dtype="<f8").reshape(len(payloads), width)


# The last decoded fit: a fit never changes once written. Keyed by more than the primary key,
# which SQLite may hand out again after every fit was deleted (detection.services.reset).
_decoded: dict[tuple[int, datetime, int], tuple[SeriesIndex, engine.Baseline]] = {}


def load_fit(fit: BaselineFit) -> tuple[SeriesIndex, engine.Baseline]:
    """Every series of a fit (the detector's read), decoded once per process and fit."""
    key = (fit.pk, fit.fitted_at, hash(str(fit.series)))
    if key not in _decoded:
        payloads = [
            bytes(p)
            for p in SeriesBaseline.objects.filter(fit=fit)
            .order_by("position")
            .values_list("payload", flat=True)
            .iterator(chunk_size=5000)
        ]
        baseline = _baseline(fit, _decode(payloads, fit))
        parents = dict(Service.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
        index = SeriesIndex([(sid, c) for sid, c in fit.series], parents)
        _decoded.clear()
        _decoded[key] = (index, baseline)
    return _decoded[key]


def load_series(fit: BaselineFit, service_id: int, country: str) -> engine.Baseline | None:
    """One series' baseline of a fit (a graph's read: one row, not the whole fit)."""
    payload = (
        SeriesBaseline.objects.filter(fit=fit, service_id=service_id, country=country)
        .values_list("payload", flat=True)
        .first()
    )
    return None if payload is None else _baseline(fit, _decode([bytes(payload)], fit))


def latest_fit(*, with_series: bool = True) -> BaselineFit | None:
    """The newest fit; without its list of series (60,000 pairs of JSON) for one-series reads."""
    fits = BaselineFit.objects.order_by("-fitted_at", "-pk")
    return (fits if with_series else fits.defer("series")).first()
