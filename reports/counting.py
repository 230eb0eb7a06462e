"""The counting rules, written once: which stored reports count.

1. Dedupe: a reporter (address or IPv6 /64, plus user agent, hashed) counts once per service
   per REPORT_DEDUPE_MINUTES, a sliding window kept as "when it last counted".
2. Caps, the counting promise of reports/promise.py: whatever user agents it claims, a client
   (an IPv4 address or an IPv6 /64) counts at most REPORT_MAX_COUNTED_PER_ADDRESS reports, and
   its network (IPv4 /24, IPv6 /48) at most REPORT_MAX_COUNTED_PER_NETWORK, per FAMILY (a
   service, its parent and its parent's other children: the detector adds children into their
   parent's series) in any window of promise.CAP_WINDOW_MINUTES (the detector's longest).

The caps are kept in overlapping windows: windows of two steps (2 x CAP_WINDOW_MINUTES)
starting every step, and a report counts only if both windows holding it have room. Any
interval of one step lies inside one window, so no interval of CAP_WINDOW_MINUTES (and so no
shorter window the detector tests) holds more than the cap; with fixed windows the last
seconds of one and the first of the next held twice the cap. A window's counters are keyed by
the client's hash under the salt of the UTC day the WINDOW starts on, not the report's day, so
a window that spans midnight is one budget (the day's new salt used to start a fresh one).

Each rule has two SQL forms side by side: per report (report_create: the DRF view, the HTML
form, SQLite) and batched (the group-commit ASGI intake on PostgreSQL). Both lock the rows they
decide on in sorted key order (no deadlock between them) and share `decide`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection

from common.buckets import bucket_start
from outages.models import Service
from reports import promise
from reports.fingerprint import fingerprint_with
from reports.models import AddressWindow, ReporterWindow

# (family id, holder hash, window start)
CounterKey = tuple[int, str, datetime]


def dedupe_window() -> timedelta:
    return timedelta(minutes=settings.REPORT_DEDUPE_MINUTES)


def family_id(service_id: int, parent_of: Mapping[int, int | None]) -> int:
    """The family a service's reports are capped in: its top-most ancestor (itself without a
    parent). Every series a report feeds (the service's own, its parent's) is in it."""
    seen = {service_id}
    while (parent := parent_of.get(service_id)) is not None and parent not in seen:
        seen.add(parent)
        service_id = parent
    return service_id


def family_of(service: Service) -> int:
    """family_id, reading the grandparents (if any) from the database, one query each."""
    parent_of: dict[int, int | None] = {service.pk: service.parent_id}
    current = service.parent_id
    while current is not None and current not in parent_of:
        parent_of[current] = current = (
            Service.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        )
    return family_id(service.pk, parent_of)


def cap_window() -> timedelta:
    return timedelta(minutes=promise.CAP_WINDOW_MINUTES)


def cap_windows(at: datetime) -> tuple[datetime, datetime]:
    """Starts of the two overlapping cap windows that hold `at`."""
    step = cap_window()
    current = bucket_start(at, step)
    return current - step, current


def salt_days(at: datetime) -> set[date]:
    """The UTC days whose salts key the counters of a report at `at`."""
    return {start.date() for start in cap_windows(at)}


def counters(
    family_id: int, client: str, network: str, at: datetime, salt_of: Callable[[date], str]
) -> list[tuple]:
    """The cap counters a report at `at` must find room in, as sorted (key, cap) pairs.

    `client` and `network` are the client and network keys (common.clients); each window's
    key is their hash under the salt of the day the window starts (`salt_of(day)`).
    """
    found = []
    for holder, cap in (
        (client, settings.REPORT_MAX_COUNTED_PER_ADDRESS),
        (network, settings.REPORT_MAX_COUNTED_PER_NETWORK),
    ):
        if cap > 0:  # 0 switches a cap off (a load test from one address)
            found += [
                ((family_id, fingerprint_with(salt_of(start.date()), holder, ""), start), cap)
                for start in cap_windows(at)
            ]
    return sorted(found)


def decide(wanted: Sequence[list[tuple]], tallies: dict[CounterKey, int]) -> list[bool]:
    """In order, each report counts if every counter it needs is under its cap; `tallies`
    (current counts) is updated with the reports that count."""
    verdicts = []
    for needed in wanted:
        fits = all(tallies[key] < cap for key, cap in needed)
        if fits:
            for key, _cap in needed:
                tallies[key] += 1
        verdicts.append(fits)
    return verdicts


# --- per report (Django's connection: PostgreSQL or SQLite) -------------------------------------


def claim_reporter(service_id: int, reporter: str, now: datetime) -> bool:
    """True if this reporter had no counted report for the service within the window.

    One conditional upsert: concurrent claims of the same reporter serialise on the row, and
    only the one that finds the window expired (or no row) gets a row back.
    """
    table = ReporterWindow._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (service_id, reporter, counted_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (service_id, reporter) DO UPDATE SET counted_at = excluded.counted_at "
            f"WHERE {table}.counted_at <= %s RETURNING 1",
            [service_id, reporter, adapt(now), adapt(now - dedupe_window())],
        )
        return cursor.fetchone() is not None


def claim_caps(needed: list[tuple]) -> bool:
    """True if a report needing these counters (from `counters`) fits under every cap; then
    its counters are incremented. Each counter row is locked (upsert) before it is read, in
    sorted order."""
    if not needed:
        return True
    table = AddressWindow._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    tallies: dict[CounterKey, int] = {}
    with connection.cursor() as cursor:
        for key, _cap in needed:
            cursor.execute(
                f"INSERT INTO {table} (service_id, address, window_start, counted) "
                "VALUES (%s, %s, %s, 0) ON CONFLICT (service_id, address, window_start) "
                f"DO UPDATE SET counted = {table}.counted RETURNING counted",
                [key[0], key[1], adapt(key[2])],
            )
            tallies[key] = cursor.fetchone()[0]
        (fits,) = decide([needed], tallies)
        if fits:
            cursor.executemany(
                f"UPDATE {table} SET counted = counted + 1 "
                "WHERE service_id = %s AND address = %s AND window_start = %s",
                [[key[0], key[1], adapt(key[2])] for key, _cap in needed],
            )
    return fits


# --- batched (the intake's psycopg connection, PostgreSQL) ---------------------------------------


async def claim_reporters_batch(cursor, claims: list[tuple[int, str, datetime]]) -> set:  # type: ignore[no-untyped-def]
    """The dedupe rule for a batch: `claims` are (service id, reporter, time), one per distinct
    (service, reporter) in sorted order; returns the (service id, reporter) pairs that count."""
    if not claims:
        return set()
    await cursor.execute(
        "INSERT INTO reports_reporterwindow (service_id, reporter, counted_at) "
        "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) "
        "ON CONFLICT (service_id, reporter) DO UPDATE SET counted_at = EXCLUDED.counted_at "
        "WHERE reports_reporterwindow.counted_at <= EXCLUDED.counted_at - %s "
        "RETURNING service_id, reporter",
        [[c[0] for c in claims], [c[1] for c in claims], [c[2] for c in claims], dedupe_window()],
    )
    return {(sid, reporter) for sid, reporter in await cursor.fetchall()}


async def claim_caps_batch(cursor, wanted: list[list[tuple]]) -> list[bool]:  # type: ignore[no-untyped-def]
    """The caps for a batch: `wanted` holds each candidate's counters (from `counters`), in
    arrival order; returns which fit. Two statements whatever the batch size: lock and read
    every counter (sorted), then write the new tallies."""
    keys = sorted({key for needed in wanted for key, _cap in needed})
    if not keys:
        return [True] * len(wanted)
    await cursor.execute(
        "INSERT INTO reports_addresswindow (service_id, address, window_start, counted) "
        "SELECT s, a, w, 0 FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) "
        "AS u(s, a, w) ON CONFLICT (service_id, address, window_start) "
        "DO UPDATE SET counted = reports_addresswindow.counted "
        "RETURNING service_id, address, window_start, counted",
        [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]],
    )
    tallies = {(s, a, w): n for s, a, w, n in await cursor.fetchall()}
    before = dict(tallies)
    verdicts = decide(wanted, tallies)
    changed = [k for k in keys if tallies[k] != before[k]]
    if changed:
        await cursor.execute(
            "UPDATE reports_addresswindow t SET counted = u.n FROM unnest(%s::bigint[], "
            "%s::text[], %s::timestamptz[], %s::int[]) AS u(s, a, w, n) "
            "WHERE t.service_id = u.s AND t.address = u.a AND t.window_start = u.w",
            [
                [k[0] for k in changed],
                [k[1] for k in changed],
                [k[2] for k in changed],
                [tallies[k] for k in changed],
            ],
        )
    return verdicts
