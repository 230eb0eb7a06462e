"""The detector's writes: score minutes, move each series' state, open, grow and close
incidents, link incidents that start together, and publish status rows for the API.

`detect_spikes` is the live path (every minute, from a cursor); `backfill` runs the very same
scan over a past window with fresh state (used to replay the demo's historical events).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from detection import engine, signals
from detection.models import BaselineFit, DetectionCursor
from detection.series import (
    SeriesIndex,
    count_matrix,
    epoch_minute,
    exclusion_mask,
    fit_baselines,
    from_epoch_minute,
    latest_fit,
    load_fit,
    save_fit,
    series_index,
)
from outages.models import Incident, IncidentLink, Level, LinkReason, Service, Status
from reports import selectors
from reports.models import HourlyReportCount
from reports.services import hourly_counts_roll_up

log = logging.getLogger(__name__)

LEVELS = [Level.OK, Level.POSSIBLE, Level.OUTAGE]
WINDOW = 15  # minutes in a "peak 15 minutes"
# Minutes of counts each scoring needs: the engine's widest test window (4 hours).
SPAN = max(engine.EngineConfig().scale_buckets(60))


def engine_config() -> engine.EngineConfig:
    return engine.EngineConfig()


@dataclass
class Draft:
    """An incident being built during a scan; saved (created or updated) at the end."""

    series: int
    started_at: datetime
    peak_at: datetime
    peak_reports: int
    expected_at_peak: float
    severity: int
    ended_at: datetime | None = None
    pk: int | None = None
    saved_severity: int = 0  # as stored before this scan (to tell a raise)


@dataclass
class ScanResult:
    drafts: list[Draft] = field(default_factory=list)
    state: engine.HysteresisState | None = None
    last: engine.ScoreResult | None = None
    minutes: int = 0


def _scan(
    index: SeriesIndex,
    counts: np.ndarray,
    first: int,
    start: int,
    *,
    baseline_for,  # (epoch minute) -> Baseline
    state: engine.HysteresisState,
    open_drafts: dict[int, Draft],
    config: engine.EngineConfig,
    levels: np.ndarray | None = None,
    closed_drafts: dict[int, Draft] | None = None,
) -> ScanResult:
    """Score every minute from `start` to the last column of `counts` (column 0 = `first`).

    `levels`, if given (same shape as `counts`), receives the confirmed level of each scored
    minute, for refits that leave out stretches under an incident (`backfill`).
    `closed_drafts`: the latest closed incident of each series, which an opening within the
    state's episode (``engine.alarms``: within ``reopen_minutes`` of its close) reopens
    instead of opening a new incident: the same outage, no second notification.
    """
    result = ScanResult(state=state)
    drafts = dict(open_drafts)
    closed = dict(closed_drafts or {})
    done: list[Draft] = []
    # Expected counts for the next hour of windows at once (a baseline lasts an hour): the
    # same numbers engine.live_cycle computes, without redoing 4 hours of them every minute.
    expected, exp_first, exp_for = None, 0, None
    for minute in range(start, first + counts.shape[1]):
        col = minute - first
        recent = counts[:, max(col - SPAN + 1, 0) : col + 1]
        if np.isnan(recent).any():  # minutes before the first observed one: no reports
            recent = np.nan_to_num(recent)
        baseline = baseline_for(minute)
        window_first = minute - recent.shape[1] + 1
        if (
            exp_for is not baseline
            or window_first < exp_first
            or minute >= exp_first + expected.shape[1]
        ):
            exp_for, exp_first = baseline, window_first
            # An hour ahead at most, and no further than the scan goes (a live cycle: its
            # minute or two; the expected counts of every series are its biggest array).
            ahead = min(SPAN + 60, first + counts.shape[1] - window_first)
            expected = baseline.expected((window_first + np.arange(ahead)) * 60)
        at_col = window_first - exp_first
        score = engine.score_window(
            recent, expected[:, at_col : at_col + recent.shape[1]], baseline, config
        )
        episode = state.peak
        state, level = engine.advance(
            state, score.level_by_scale, baseline.scale_buckets, config, 60, score.fast_by_scale
        )
        if levels is not None:
            levels[:, col] = level
        at = from_epoch_minute(minute)
        x15 = recent[:, -WINDOW:].sum(axis=1)
        for i in np.flatnonzero(level > 0):
            draft = drafts.get(i)
            if draft is None and episode[i] > 0 and i in closed:
                draft = drafts[i] = closed.pop(i)
                draft.ended_at = None
                done = [d for d in done if d is not draft]
            if draft is None:
                onset = max(int(state.run_possible[i]), 1)
                draft = drafts[i] = Draft(
                    series=int(i),
                    started_at=at - timedelta(minutes=onset - 1),
                    peak_at=at,
                    peak_reports=int(x15[i]),
                    expected_at_peak=float(score.expected_15m[i]),
                    severity=int(level[i]),
                )
            draft.severity = max(draft.severity, int(level[i]))
            if x15[i] > draft.peak_reports:
                draft.peak_at, draft.peak_reports = at, int(x15[i])
                draft.expected_at_peak = float(score.expected_15m[i])
        for i in [i for i in drafts if level[i] == 0]:
            draft = drafts.pop(i)
            # The calm run that closed it started fall_minutes ago: that is when it ended.
            calm = config.buckets(config.fall_minutes, 60)
            draft.ended_at = max(at - timedelta(minutes=calm - 1), draft.started_at)
            done.append(draft)
            closed[i] = draft
        result.minutes += 1
        result.last = score
    result.drafts = done + list(drafts.values())
    result.state = state
    return result


# What a Status row publishes, besides its series and the time it was written.
PUBLISHED = ("level", "score", "expected_15m", "threshold_15m", "since", "detector_state")


@dataclass
class Published:
    """The published values of every series of an index, as arrays (NaN: none)."""

    level: np.ndarray  # index into LEVELS
    score: np.ndarray
    expected_15m: np.ndarray
    threshold_15m: np.ndarray
    since: np.ndarray  # epoch seconds
    state: np.ndarray  # (n, 7) the detector_state lists (engine.HysteresisState)
    stored: np.ndarray  # bool: the series has a row

    @classmethod
    def empty(cls, n: int) -> Published:
        nan = np.full(n, np.nan)
        return cls(
            np.zeros(n, dtype=np.int64),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros((n, len(engine.HysteresisState._fields)), dtype=np.int64),
            np.zeros(n, dtype=bool),
        )

    def changed(self, other: Published) -> np.ndarray:
        """Series whose published values differ (or that have no row yet)."""

        def differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return (a != b) & ~(np.isnan(a) & np.isnan(b))

        return (
            ~self.stored
            | ~other.stored
            | (self.level != other.level)
            | differ(self.score, other.score)
            | differ(self.expected_15m, other.expected_15m)
            | differ(self.threshold_15m, other.threshold_15m)
            | differ(self.since, other.since)
            | (self.state != other.state).any(axis=1)
        )


def _saved_status(index: SeriesIndex) -> Published:
    """The Status rows of the index's series, as stored.

    Read as columns, not model rows: every Status row (a row of a series the index lacks is
    left out below, cheaper than a filter of 10,000 service ids), without Django's per-row
    converters, the detector states as JSON text decoded in one call (a JSON field decodes
    each of 60,000 rows on its own), and `since` in epoch seconds from the database. This read
    took as long as the cycle's statistics."""
    saved = Published.empty(len(index))
    table = Status._meta.db_table
    since = (
        "EXTRACT(EPOCH FROM since)::float8"
        if connection.vendor == "postgresql"
        else "CAST(strftime('%s', since) AS REAL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT service_id, country, level, score, expected_15m, threshold_15m, "
            f"{since}, CAST(detector_state AS TEXT) FROM {table}"
        )
        rows = cursor.fetchall()
    if not rows:
        return saved
    sid, country, level, score, expected, threshold, since_s, state_text = zip(*rows, strict=True)
    where = np.fromiter(
        (index.position.get(key, -1) for key in zip(sid, country, strict=True)),
        dtype=np.int64,
        count=len(rows),
    )
    mine = where >= 0
    i = where[mine]

    def column(values: tuple) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)[mine]

    code = {str(name): k for k, name in enumerate(LEVELS)}
    saved.level[i] = np.fromiter((code[str(v)] for v in level), np.int64, len(rows))[mine]
    saved.score[i] = column(score)
    saved.expected_15m[i] = column(expected)
    saved.threshold_15m[i] = column(threshold)
    saved.since[i] = column(since_s)
    states = json.loads("[" + ",".join(state_text) + "]")
    width = saved.state.shape[1]
    # An older detector's memory (another width) starts afresh (as init_state): not stored.
    usable = mine & np.fromiter((len(x) == width for x in states), bool, len(rows))
    saved.stored[where[usable]] = True
    if usable.any():
        saved.state[where[usable]] = np.array(
            [states[k] for k in np.flatnonzero(usable).tolist()], dtype=np.int64
        )
    return saved


def _state_from_rows(saved: Published) -> engine.HysteresisState:
    state = engine.init_state(len(saved.level))
    return engine.HysteresisState(
        *(
            np.where(saved.stored, saved.state[:, k], array).astype(array.dtype)
            for k, array in enumerate(state)
        )
    )


def _drafts(index: SeriesIndex, incidents: QuerySet[Incident]) -> dict[int, Draft]:
    """The stored incidents as drafts of their series (the last one wins per series)."""
    drafts = {}
    for incident in incidents:
        i = index.position.get((incident.service_id, incident.country))
        if i is not None:
            drafts[i] = Draft(
                series=i,
                started_at=incident.started_at,
                peak_at=incident.peak_at,
                peak_reports=incident.peak_reports,
                expected_at_peak=incident.expected_at_peak,
                severity=LEVELS.index(incident.severity),
                ended_at=incident.ended_at,
                pk=incident.pk,
                saved_severity=LEVELS.index(incident.severity),
            )
    return drafts


def _open_drafts(index: SeriesIndex) -> dict[int, Draft]:
    return _drafts(index, Incident.objects.filter(ended_at__isnull=True))


def _closed_drafts(index: SeriesIndex, since: datetime) -> dict[int, Draft]:
    """The latest incident of each series that closed after `since` (one it may reopen)."""
    return _drafts(index, Incident.objects.filter(ended_at__gte=since).order_by("ended_at"))


def _save_drafts(index: SeriesIndex, drafts: list[Draft]) -> list[Incident]:
    """Create or update the incidents; the newly created ones are returned for linking."""
    services = Service.objects.in_bulk({index.keys[d.series][0] for d in drafts})
    created = []
    for draft in drafts:
        service_id, country = index.keys[draft.series]
        service = services[service_id]
        peak_window = {"start": draft.peak_at - timedelta(minutes=WINDOW - 1), "end": draft.peak_at}
        values = {
            "severity": LEVELS[draft.severity],
            "started_at": draft.started_at,
            "peak_at": draft.peak_at,
            "peak_reports": draft.peak_reports,
            "expected_at_peak": round(draft.expected_at_peak, 2),
            "ended_at": draft.ended_at,
            "top_problems": selectors.top_problems(service, country=country, **peak_window),
            "top_countries": [] if country else selectors.top_regions(service, **peak_window),
        }
        if draft.pk is None:
            incident = Incident.objects.create(service=service, country=country, **values)
            created.append(incident)
            transitions = [signals.OPENED] + [signals.ENDED] * (draft.ended_at is not None)
        else:
            Incident.objects.filter(pk=draft.pk).update(**values)
            incident = Incident(pk=draft.pk, service=service, country=country, **values)
            transitions = [signals.RAISED] * (draft.severity > draft.saved_severity) + [
                signals.ENDED
            ] * (draft.ended_at is not None)
        for transition in transitions:  # inside the caller's transaction: exactly once
            signals.incident_changed.send(Incident, incident=incident, transition=transition)
    return created


LINK_WINDOW = timedelta(minutes=10)


def link_incidents(incidents: list[Incident]) -> int:
    """Link each new incident with those of other services that started within minutes of
    it (same parent, shared provider, or plain co-occurrence) or were already running when it
    started (overlap). Only the same scope is compared: worldwide with worldwide, a country
    with the same country. Returns how many links were made.
    """
    made = 0
    for incident in incidents:
        start = incident.started_at
        others = (
            Incident.objects.filter(country=incident.country)
            .exclude(service_id=incident.service_id)
            .filter(
                Q(started_at__gte=start - LINK_WINDOW, started_at__lte=start + LINK_WINDOW)
                | Q(started_at__lt=start) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))
            )
            .select_related("service")
        )
        for other in others:
            reason, params = link_reason(incident, other)
            low, high = sorted([incident, other], key=lambda x: x.pk)
            _, was_new = IncidentLink.objects.get_or_create(
                from_incident=low, to_incident=high, defaults={"reason": reason, "params": params}
            )
            made += was_new
    return made


def link_reason(a: Incident, b: Incident) -> tuple[str, dict]:
    """Why two incidents may be related, strongest reason first, with what it names (the
    words are made at display, in the reader's language: IncidentLink.detail_text)."""
    sa, sb = a.service, b.service
    family = {sa.pk, sa.parent_id} & {sb.pk, sb.parent_id} - {None}
    if family:
        parent = Service.objects.get(pk=family.pop())
        return LinkReason.SAME_PARENT, {"parent": parent.name}
    shared = sorted(set(sa.provider_tags) & set(sb.provider_tags))
    if shared:
        return LinkReason.SHARED_PROVIDER, {"providers": shared}
    minutes = int(abs(a.started_at - b.started_at).total_seconds()) // 60
    if minutes > LINK_WINDOW.total_seconds() // 60:
        return LinkReason.OVERLAP, {"minutes": minutes}
    return LinkReason.CO_OCCURRENCE, {"minutes": minutes}


def _publish_status(
    index: SeriesIndex, scan: ScanResult, at: datetime, drafts: list[Draft], saved: Published
) -> int:
    """Write the Status rows whose published values changed (``updated_at``: when they last
    changed); returns how many. Rewriting all 60,000 rows every minute took most of the
    cycle, and in a quiet minute only a few percent change."""
    state, score = scan.state, scan.last
    open_since = {d.series: d.started_at for d in drafts if d.ended_at is None}
    since = np.full(len(index), np.nan)
    for i, started in open_since.items():
        since[i] = started.timestamp()
    # Rounded as stored, so that an unchanged value compares equal to what was read back.
    now = Published(
        level=state.level.astype(np.int64),
        score=np.round(score.score.astype(float), 4),
        expected_15m=np.round(score.expected_15m.astype(float), 2),
        threshold_15m=score.threshold_15m.astype(float),
        since=since,
        state=np.column_stack(state).astype(np.int64),
        stored=np.ones(len(index), dtype=bool),
    )
    changed = np.flatnonzero(now.changed(saved))
    if connection.vendor == "postgresql":
        _upsert_status_rows(index, now, changed, open_since, at)
        return len(changed)
    rows = [
        Status(
            service_id=index.keys[i][0],
            country=index.keys[i][1],
            level=LEVELS[now.level[i]],
            score=float(now.score[i]),
            expected_15m=float(now.expected_15m[i]),
            threshold_15m=float(now.threshold_15m[i]),
            since=open_since.get(i),
            detector_state=now.state[i].tolist(),
            updated_at=at,
        )
        for i in changed.tolist()
    ]
    Status.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["service", "country"],
        update_fields=[*PUBLISHED, "updated_at"],
    )
    return len(rows)


def _upsert_status_rows(
    index: SeriesIndex,
    now: Published,
    changed: np.ndarray,
    open_since: dict[int, datetime],
    at: datetime,
) -> None:
    """The changed Status rows in one statement: one array per column, unnested by
    PostgreSQL. bulk_create built a model instance and ten parameters per row and sent 500
    rows a statement, which made the write of a busy minute (most of 60,000 rows) the
    cycle's largest cost; here psycopg sends nine arrays."""
    if not len(changed):
        return
    positions = changed.tolist()
    keys = [index.keys[i] for i in positions]
    table = Status._meta.db_table
    columns = [*PUBLISHED, "updated_at"]
    sql = (
        f"INSERT INTO {table} (service_id, country, {', '.join(columns)}) "
        "SELECT s, c, l, sc, e, t, si, d::jsonb, %s FROM unnest("
        "%s::bigint[], %s::text[], %s::text[], %s::float8[], %s::float8[], %s::float8[], "
        "%s::timestamptz[], %s::text[]) AS u(s, c, l, sc, e, t, si, d) "
        "ON CONFLICT (service_id, country) DO UPDATE SET "
        + ", ".join(f"{column} = EXCLUDED.{column}" for column in columns)
    )
    state = now.state[changed]
    params = [
        at,
        [sid for sid, _ in keys],
        [country for _, country in keys],
        [str(LEVELS[k]) for k in now.level[changed].tolist()],
        now.score[changed].tolist(),
        now.expected_15m[changed].tolist(),
        now.threshold_15m[changed].tolist(),
        [open_since.get(i) for i in positions],
        ["[" + ",".join(map(str, row)) + "]" for row in state.tolist()],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refresh_baselines(now: datetime | None = None) -> int:
    """Fit every series' baseline on its history up to the current minute; returns series."""
    now = now or timezone.now()
    config = engine_config()
    # The fit reads months of history from the hourly roll-up: bring it up to date first
    # (normally one hour or nothing: its own periodic task keeps it current).
    hourly_counts_roll_up(now)
    index = series_index(now=now, min_country_reports=settings.DETECTION_MIN_COUNTRY_REPORTS)
    until = epoch_minute(now)
    baseline = fit_baselines(
        index,
        until=until,
        history_days=settings.DETECTION_HISTORY_DAYS,
        config=config,
        exclude=incident_stretches(
            index, first=until - settings.DETECTION_HISTORY_DAYS * 24 * 60, last=until - 1
        ),
    )
    save_fit(index, baseline, now)
    return len(index)


def incident_stretches(
    index: SeriesIndex, *, first: int, last: int, config: engine.EngineConfig | None = None
) -> list[tuple[int, int, int]]:
    """What the fit leaves out (engine.incident_mask, from the recorded incidents): the first
    `exclude_incident_minutes` of every incident of an indexed series that overlaps epoch
    minutes first..last, as (series position, first, last epoch minute)."""
    config = config or engine_config()
    limit = config.buckets(config.exclude_incident_minutes, 60)
    rows = Incident.objects.filter(
        service_id__in={sid for sid, _ in index.keys},
        started_at__lte=from_epoch_minute(last),
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=from_epoch_minute(first)))
    stretches = []
    for incident in rows.values_list("service_id", "country", "started_at", "ended_at"):
        i = index.position.get((incident[0], incident[1]))
        if i is not None:
            lo = epoch_minute(incident[2])
            hi = last if incident[3] is None else epoch_minute(incident[3])
            stretches.append((i, lo, min(hi, lo + limit - 1)))
    return stretches


def detect_spikes(now: datetime | None = None) -> int:
    """Score every complete minute since the last run; returns how many minutes were scored.

    Idempotent: the cursor moves in the same transaction as the results, so a repeated or
    redelivered run finds nothing left to score.
    """
    now = now or timezone.now()
    last = epoch_minute(now) - 1  # the last complete minute
    fit = latest_fit()
    if fit is None or fit.fitted_at < now - timedelta(hours=2):
        refresh_baselines(now)
        fit = latest_fit()
    index, baseline = load_fit(fit)
    with transaction.atomic():
        cursor, _ = DetectionCursor.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_minute": from_epoch_minute(last - 60)}
        )
        start = max(epoch_minute(cursor.last_minute) + 1, last - settings.DETECTION_MAX_BACKLOG)
        if start > last:
            return 0
        first = start - SPAN + 1
        saved = _saved_status(index)
        scan = _scan(
            index,
            count_matrix(index, first=first, last=last),
            first,
            start,
            baseline_for=lambda minute: baseline,
            state=_state_from_rows(saved),
            open_drafts=_open_drafts(index),
            config=engine_config(),
            closed_drafts=_closed_drafts(
                index, now - timedelta(minutes=engine_config().reopen_minutes)
            ),
        )
        created = _save_drafts(index, scan.drafts)
        link_incidents(created)
        _publish_status(index, scan, now, scan.drafts, saved)
        cursor.last_minute = from_epoch_minute(last)
        cursor.save(update_fields=["last_minute"])
        transaction.on_commit(lambda: signals.cycle_finished.send(sender=DetectionCursor))
    return scan.minutes


def backfill(
    start: datetime,
    end: datetime,
    *,
    service_ids: list[int] | None = None,
    history_days: int | None = None,
) -> int:
    """Replay detection over a past window with fresh state, refitting baselines hourly on the
    history before each hour, exactly as the live system would have. Returns incidents made.

    Incidents already recorded in the window for these services are replaced, so running it
    twice gives the same incidents. `history_days` (default DETECTION_HISTORY_DAYS) bounds
    the history the fits read: the demo stores only two weeks before each replayed event,
    and minutes it never generated would otherwise read as minutes without reports.
    """
    config = engine_config()
    index = series_index(
        now=end,
        min_country_reports=settings.DETECTION_MIN_COUNTRY_REPORTS,
        service_ids=service_ids,
    )
    first_scored, last = epoch_minute(start), epoch_minute(end)
    history = (history_days or settings.DETECTION_HISTORY_DAYS) * 24 * 60
    counts = count_matrix(index, first=first_scored - history, last=last)
    first = first_scored - history
    fits: dict[int, engine.Baseline] = {}
    # As live: each refit leaves out the incidents recorded before the window and those the
    # scan has confirmed so far (the live cycle saves them every minute).
    recorded = exclusion_mask(
        counts.shape, first, incident_stretches(index, first=first, last=first_scored - 1)
    )
    levels = np.zeros(counts.shape, dtype=np.int8)

    def baseline_for(minute: int) -> engine.Baseline:
        hour = minute - minute % 60
        if hour not in fits:
            fits.clear()
            upto = hour - first
            lo = max(0, upto - history)
            exclude = engine.incident_mask(levels[:, lo:upto], config, 60)
            if recorded is not None:
                exclude |= recorded[:, lo:upto]
            fits[hour] = engine.fit_baseline(
                counts[:, lo:upto], (hour - history) * 60, 60, config, exclude
            )
        return fits[hour]

    with transaction.atomic():
        Incident.objects.filter(
            service_id__in={sid for sid, _ in index.keys},
            started_at__gte=start,
            started_at__lte=end,
        ).delete()
        scan = _scan(
            index,
            counts,
            first,
            first_scored,
            baseline_for=baseline_for,
            state=engine.init_state(len(index)),
            open_drafts={},
            config=config,
            levels=levels,
        )
        # The live state does not continue from a backfill: an incident still open at the end
        # of the window ends there (one open incident per series is all the table allows).
        for draft in scan.drafts:
            draft.ended_at = draft.ended_at or end
        created = _save_drafts(index, scan.drafts)
        link_incidents(created)
    return len(created)


def reset() -> None:
    """Forget every incident, status, baseline, the cursor and the hourly roll-up (the demo
    reseeds from zero)."""
    with transaction.atomic():
        IncidentLink.objects.all().delete()
        Incident.objects.all().delete()
        Status.objects.all().delete()
        DetectionCursor.objects.all().delete()
        BaselineFit.objects.all().delete()
        # Derived from the minute counts, which the demo replaces: rebuilt by the next fit.
        HourlyReportCount.objects.all().delete()


def replay(
    windows: list[tuple[datetime, datetime, list[int]]],
    now: datetime,
    *,
    history_days: int | None = None,
) -> int:
    """Backfill past windows (start, end, service ids), then bring the live state to `now`.

    Windows that overlap are merged so that incidents spanning them are found once.
    Returns the number of incidents recorded.
    """
    merged: list[tuple[datetime, datetime, set[int]]] = []
    for start, end, ids in sorted(windows, key=lambda w: w[0]):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | set(ids))
        else:
            merged.append((start, end, set(ids)))
    for start, end, ids in merged:
        backfill(start, end, service_ids=sorted(ids), history_days=history_days)
    refresh_baselines(now)
    detect_spikes(now)
    return Incident.objects.count()


def close_orphaned_incidents(now: datetime | None = None) -> int:
    """Close open incidents whose series the detector no longer scores (e.g. a country
    series whose volume fell below the minimum), so none stays open forever. Returns how
    many were closed.
    """
    now = now or timezone.now()
    fit = latest_fit()
    scored = set() if fit is None else {(sid, country) for sid, country in fit.series}
    orphans = [
        incident
        for incident in Incident.objects.filter(ended_at__isnull=True)
        if (incident.service_id, incident.country) not in scored
    ]
    closed = 0
    for incident in orphans:
        with transaction.atomic():
            if Incident.objects.filter(pk=incident.pk, ended_at__isnull=True).update(ended_at=now):
                incident.ended_at = now
                signals.incident_changed.send(Incident, incident=incident, transition=signals.ENDED)
                closed += 1
    return closed
