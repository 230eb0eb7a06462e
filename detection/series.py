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
    counts = ReportCount.objects.filter(minute__gte=now - timedelta(days=28), minute__lte=now)
    if service_ids is not None:  # (all of them: no list of 10,000 ids to send and match)
        counts = counts.filter(service_id__in=ids)
    busy = (
        counts.values_list("service_id", "country")
        .annotate(n=Sum("count"))
        .filter(n__gte=min_country_reports)
        .order_by("service_id", "country")
    )
    keys = [(pk, "") for pk in sorted(ids)] + [(sid, c) for sid, c, _ in busy]
    known = set(ids)  # once, not once per service (seconds at 10,000 services)
    return SeriesIndex(keys, {pk: parent for pk, parent in pairs if parent in known})


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


def country_code(country: str) -> int:
    """A country code's two letters as one int (0 for none), as ``_count_rows`` computes it
    in PostgreSQL: rows of plain ints cross the wire with no text to decode."""
    return sum(ord(ch) << (8 * (1 - i)) for i, ch in enumerate(country[:2]))


# One row as ``_count_rows`` packs it in PostgreSQL: int8send/int4send give big-endian bytes.
_PACKED_ROW = np.dtype([("sid", ">i8"), ("code", ">i4"), ("at", ">i4"), ("n", ">i4")])


def _count_rows(
    model: type, time_field: str, unit_seconds: int, service_ids: set[int], lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of a roll-up table with ``time_field`` in epoch units lo..hi (inclusive), as
    arrays: service id, ``country_code``, time in epoch units, count (not summed: a minute's
    problem types come as separate rows and are added up by the caller).

    PostgreSQL packs them into one bytea of fixed-width big-endian ints, which numpy reads in
    one call: the months of hourly rows the fit reads (14.6 million for 10,000 services x 5
    countries) cost microseconds a row as Python tuples, and even binary COPY sends (and
    psycopg reads) one message per row: 24 s of 52 s for 1,000 services' 1.9 million rows.
    (date_part, not EXTRACT: EXTRACT computes in numeric, 0.3 us a row more.) Other databases
    (SQLite: tests, development) go through the cursor.
    """
    ids = sorted(service_ids)
    start = from_epoch_minute(lo * unit_seconds // 60)
    stop = from_epoch_minute((hi + 1) * unit_seconds // 60)
    if connection.vendor != "postgresql":
        rows = _raw_rows(
            model.objects.filter(
                service_id__in=ids, **{f"{time_field}__gte": start, f"{time_field}__lt": stop}
            )
            .annotate(at=EpochMinute(time_field) / (unit_seconds // 60))
            .values_list("service_id", "country", "at", "count")
            .order_by()
        )
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        sids, countries, times, counts = zip(*rows, strict=True)
        codes = [country_code(c) for c in countries]
        return tuple(np.array(a, dtype=np.int64) for a in (sids, codes, times, counts))
    table = model._meta.db_table
    column = model._meta.get_field(time_field).column
    sql = (
        "SELECT string_agg(int8send(service_id) || int4send(ascii(country) * 256 + "
        f"ascii(substr(country, 2, 1))) || int4send((date_part('epoch', {column})::bigint / "
        f"{int(unit_seconds)})::int) || int4send(\"count\"), ''::bytea) FROM {table} "
        f"WHERE service_id = ANY(%s) AND {column} >= %s AND {column} < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (ids, start, stop))
        packed = cursor.fetchone()[0] or b""
    rows = np.frombuffer(packed, dtype=_PACKED_ROW)
    return tuple(rows[f].astype(np.int64) for f in ("sid", "code", "at", "n"))


def _accumulate(
    index: SeriesIndex,
    matrix: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    first: int,
) -> None:
    """Add (service id, country code, column + first, n) rows to each series they count for:
    the service worldwide, its parent worldwide and the service in that country."""
    sid, code, at, n = rows
    if not len(sid):
        return
    col = at - first
    inside = (col >= 0) & (col < matrix.shape[1])
    sid, code, col, n = sid[inside], code[inside], col[inside], n[inside].astype(float)
    pos = index.position
    # Per service (an array lookup, not a dict lookup per row): its worldwide series, its
    # parent's, and its series in each country of the index.
    services, local = np.unique(sid, return_inverse=True)
    countries = sorted({c for _, c in index.keys if c})
    world = np.array([pos.get((s, ""), -1) for s in services.tolist()], dtype=np.int64)
    parent = np.array(
        [pos.get((index.parent_of.get(s, -1), ""), -1) for s in services.tolist()], dtype=np.int64
    )
    own_of = np.array(
        [[pos.get((s, c), -1) for c in countries] + [-1] for s in services.tolist()],
        dtype=np.int64,
    ).reshape(len(services), len(countries) + 1)
    seen, code_at = np.unique(code, return_inverse=True)  # a few codes: map each once
    index_of = {country_code(c): i for i, c in enumerate(countries)}
    country = np.array([index_of.get(v, len(countries)) for v in seen.tolist()])[code_at]
    cells = matrix.reshape(-1)  # a view: matrix is C-contiguous
    for target in (world[local], parent[local], own_of[local, country]):
        keep = target >= 0
        np.add.at(cells, target[keep] * matrix.shape[1] + col[keep], n[keep])


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
    rows = _count_rows(ReportCount, "minute", 60, service_ids, first, last)
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
    rows = _count_rows(
        HourlyReportCount, "hour", 3600, service_ids, first_hour, first_hour + n_hours - 1
    )
    _accumulate(index, matrix, rows, first_hour)
    return matrix


# Series fitted at once. The largest arrays of a chunk are the dispersion's 14 days of
# minutes (~20,000 float64 columns, 16 MB for 100 series) and a few temporaries of that size.
# Smaller is faster, down to about 50 series (numpy's per-call overhead grows below): each
# temporary then stays under glibc's 32 MB mmap threshold and is reused instead of being
# mapped and page-faulted afresh; measured CPU per series of the chunk's numeric fit, 300 ->
# 100 series: 1,370 -> 930 us (50: 830 us).
FIT_CHUNK_SERIES = 100
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
    (the hour the history starts in and the hour under way), the dispersion the minutes of
    the recent ``dispersion_days`` (from the hour they start in), series by chunks of
    ``chunk_series``.
    """
    if config.slot_minutes != 60:
        raise ValueError("the hourly roll-up serves one-hour time-of-week slots only")
    first = until - round(min(history_days, config.history_days) * 24 * 60)
    recent = until - round(config.dispersion_days * 24 * 60)
    # Minutes from `minute_from` on (for the dispersion); whole hours `hour_from` .. `hour_to`
    # from the roll-up, and the minutes of the hour under way (the roll-up has complete hours
    # only; refresh_baselines brings it up to date first). The profile's sums of the recent
    # days come from the roll-up too: summing 14 days of minutes per series again cost more
    # than reading their hourly rows.
    minute_from = first if recent <= first else max(first, recent - recent % 60)
    hour_from = min(-(-first // 60) * 60, minute_from)
    hour_to = minute_from if recent <= first else until - until % 60
    slots_start = first - first % 60
    n_slots = -(-(until - slots_start) // 60)
    since = observed_since()
    # Observed minutes of each hour taken from the roll-up (the same for every series).
    hours = np.arange(hour_from // 60, hour_to // 60) * 60
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
        s, o, _ = engine.slot_sums(minutes[:, hour_to - minute_from :], hour_to * 60, 60, config)
        at = (hour_to - slots_start) // 60
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
        if connection.vendor == "postgresql":
            # COPY: 60,000 model instances through bulk_create took 6 s of the hourly job.
            table = SeriesBaseline._meta.db_table
            columns = "fit_id, position, service_id, country, payload"
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for i, (sid, country) in enumerate(index.keys):
                    copy.write_row((fit.pk, i, sid, country, rows[i].tobytes()))
        else:
            SeriesBaseline.objects.bulk_create(
                (
                    SeriesBaseline(
                        fit=fit,
                        position=i,
                        service_id=sid,
                        country=country,
                        payload=rows[i].tobytes(),
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
        baseline = _baseline(fit, _fit_rows(fit))
        parents = dict(Service.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
        index = SeriesIndex([(sid, c) for sid, c in fit.series], parents)
        _decoded.clear()
        _decoded[key] = (index, baseline)
    return _decoded[key]


def _fit_rows(fit: BaselineFit) -> np.ndarray:
    """Every row of a fit decoded, in position order. PostgreSQL joins the payloads into one
    value: 60,000 rows through the ORM's iterator took a second of each fresh cycle."""
    rows = SeriesBaseline.objects.filter(fit=fit).order_by("position")
    if connection.vendor != "postgresql":
        return _decode(
            [bytes(p) for p in rows.values_list("payload", flat=True).iterator(5000)], fit
        )
    table = SeriesBaseline._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT string_agg(payload, ''::bytea ORDER BY position), count(*) FROM {table} "
            "WHERE fit_id = %s",
            [fit.pk],
        )
        joined, n = cursor.fetchone()
    if not n:
        return _decode([], fit)
    return np.frombuffer(joined, dtype="<f8").reshape(n, -1)


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
