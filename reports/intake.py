"""Storm-proof report intake: a thin ASGI path for POST /api/v1/reports/ with group commit.

Why not the DRF view: during an outage storm the cost per report must be tiny and the database
must see few, large transactions. Each request is validated against an in-memory catalogue,
rate-limited with one Redis round trip, and queued; a single writer task per process commits
everything queued so far in ONE transaction (dedupe claims, the reports, the roll-up), then
answers every request of that batch. While one batch commits the next one fills, so batches
grow with the load (group commit). A request is answered 201 only after its batch committed:
nothing accepted can be lost. If the database fails, the whole batch gets 503 + Retry-After and
nothing of it is stored; too many queued reports get 503 at once (back-pressure).

Used on PostgreSQL (psycopg's async driver); everything else falls through to Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections

from common.asgi import JSONTooDeep, header, host_allowed, loads_bounded, read_body, respond
from common.clients import client_of_scope, network_key
from common.ratelimit import RateLimiter
from common.throttling import report_sources
from reports import counting
from reports.api import REPORT_BODY_MAX_BYTES
from reports.fingerprint import fingerprint_with, salt_for_day
from reports.validation import CatalogueEntry, ReportInput, load_catalogue, validate_report

log = logging.getLogger(__name__)

PATH = "/api/v1/reports/"
CATALOGUE_TTL = 30.0  # seconds: a new service becomes reportable here within this time
CATALOGUE_RETRY = 2.0  # seconds between tries while the database does not answer


class Unavailable(Exception):
    """The batch could not be committed; nothing of it was stored."""


@dataclass
class Pending:
    report: ReportInput
    reporter: str  # hash of client key and user agent: the dedupe rule's key
    address: str  # hash of the client key (IPv4 address or IPv6 /64): the stored source
    caps: list[tuple]  # the cap counters it must find room in (reports.counting.counters)
    at: datetime

    @classmethod
    def build(
        cls,
        report: ReportInput,
        *,
        client: str,
        user_agent: str,
        salt_of: Callable[[date], str],
        at: datetime,
    ) -> Pending:
        """The hashed keys the counting rules need, as report_create derives them;
        `salt_of(day)` gives the salt of `at`'s day and of the days its cap windows start."""
        salt = salt_of(at.date())
        return cls(
            report=report,
            reporter=fingerprint_with(salt, client, user_agent),
            address=fingerprint_with(salt, client, ""),
            caps=counting.counters(report.family_id, client, network_key(client), at, salt_of),
            at=at,
        )


# Django-only keys of DATABASES OPTIONS (the psycopg backend's own); every other option is
# a libpq connection parameter (sslmode, sslrootcert, options, target_session_attrs...).
_DJANGO_DB_OPTIONS = {
    "pool",
    "isolation_level",
    "server_side_binding",
    "assume_role",
    "cursor_factory",
    "context",
    "prepare_threshold",
}


def _conninfo() -> str:
    """The same server, credentials and URL options (?sslmode=require...) as Django's."""
    db = settings.DATABASES["default"]
    parts = {
        "dbname": db["NAME"],
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
    }
    options = {
        key: value
        for key, value in (db.get("OPTIONS") or {}).items()
        if key not in _DJANGO_DB_OPTIONS
    }
    parts.update(options)
    parts.setdefault("connect_timeout", 2)
    return psycopg.conninfo.make_conninfo(
        # OPTIONS carry the statement and lock timeouts too (config/settings.py).
        **{k: str(v) for k, v in parts.items() if v not in (None, "")}
    )


def _prepare_threshold() -> int | None:
    # None behind PgBouncer in transaction mode (DB_PGBOUNCER, config/settings.py).
    return (settings.DATABASES["default"].get("OPTIONS") or {}).get("prepare_threshold", 5)


class Batcher:
    """Queues reports and commits them in groups, one transaction per group."""

    def __init__(self, *, max_batch: int = 2000, max_pending: int = 10_000) -> None:
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.queue: list[tuple[Pending, asyncio.Future]] = []
        self.wake = asyncio.Event()
        self.connection: psycopg.AsyncConnection | None = None
        self.task = asyncio.get_running_loop().create_task(self.run())

    def overloaded(self) -> bool:
        return len(self.queue) >= self.max_pending

    async def submit(self, pending: Pending) -> dict:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((pending, future))
        self.wake.set()
        return await future

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                batch, self.queue = self.queue[: self.max_batch], self.queue[self.max_batch :]
                await self.commit(batch)

    async def commit(self, batch: list[tuple[Pending, asyncio.Future]]) -> None:
        """Commit a batch and answer its requests. If it fails for a reason other than the
        connection (a value the database refused despite validation), its reports are retried
        one by one, so one bad report never costs its neighbours a 503."""
        try:
            results = await self.write([p for p, _ in batch])
        except Exception as error:  # any failure: the batch was rolled back whole
            log.warning("intake batch of %d failed: %s", len(batch), error)
            await self.reset()
            if len(batch) > 1 and not isinstance(error, psycopg.OperationalError):
                for one in batch:
                    await self.commit([one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(Unavailable(str(error)))
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def reset(self) -> None:
        if self.connection is not None:
            # Closing a broken connection may fail too.
            with contextlib.suppress(Exception):
                await self.connection.close()
        self.connection = None

    async def write(self, batch: list[Pending]) -> list[dict]:
        if self.connection is None or self.connection.closed:
            self.connection = await psycopg.AsyncConnection.connect(
                _conninfo(), prepare_threshold=_prepare_threshold()
            )
        async with self.connection.transaction(), self.connection.cursor() as cursor:
            counted = await self._claim(cursor, batch)
            ids = await self._insert_reports(cursor, batch, counted)
            await self._add_counts(cursor, batch, counted)
        return [
            {
                "id": report_id,
                "service": p.report.service_slug,
                "problem": p.report.problem_slug,
                "country": p.report.country,
                "comment": p.report.comment,
                "counted": is_counted,
                "created_at": p.at.isoformat().replace("+00:00", "Z"),
            }
            for p, report_id, is_counted in zip(batch, ids, counted, strict=True)
        ]

    async def _claim(self, cursor: psycopg.AsyncCursor, batch: list[Pending]) -> list[bool]:
        """Which reports count, by the rules of reports.counting (batched SQL)."""
        first: dict[tuple[int, str], int] = {}
        for i, p in enumerate(batch):
            first.setdefault((p.report.service_id, p.reporter), i)
        claimed_keys = await counting.claim_reporters_batch(
            cursor,
            [(sid, reporter, batch[first[(sid, reporter)]].at) for sid, reporter in sorted(first)],
        )
        claimed = sorted(first[k] for k in claimed_keys)
        counted = [False] * len(batch)
        wanted = [batch[i].caps for i in claimed]
        for i, fits in zip(claimed, await counting.claim_caps_batch(cursor, wanted), strict=True):
            counted[i] = fits
        return counted

    async def _insert_reports(
        self, cursor: psycopg.AsyncCursor, batch: list[Pending], counted: list[bool]
    ) -> list[int]:
        await cursor.execute(
            "INSERT INTO reports_report (service_id, problem_type_id, country, comment, "
            "reporter, source, counted, comment_hidden, created_at) "
            "SELECT s, p, c, m, r, a, k, false, t FROM unnest(%s::bigint[], %s::bigint[], "
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::bool[], %s::timestamptz[]) "
            "AS u(s, p, c, m, r, a, k, t) RETURNING id",
            [
                [p.report.service_id for p in batch],
                [p.report.problem_type_id for p in batch],
                [p.report.country for p in batch],
                [p.report.comment for p in batch],
                [p.reporter for p in batch],
                [p.address for p in batch],
                counted,
                [p.at for p in batch],
            ],
        )
        # INSERT ... SELECT returns rows in the order of the unnested arrays.
        return [row[0] for row in await cursor.fetchall()]

    async def _add_counts(
        self, cursor: psycopg.AsyncCursor, batch: list[Pending], counted: list[bool]
    ) -> None:
        cells: dict[tuple[int, datetime, str, int], int] = {}
        for p, is_counted in zip(batch, counted, strict=True):
            if is_counted:
                key = (
                    p.report.service_id,
                    p.at.replace(second=0, microsecond=0),
                    p.report.country,
                    p.report.problem_type_id,
                )
                cells[key] = cells.get(key, 0) + 1
        if not cells:
            return
        keys = sorted(cells)
        await cursor.execute(
            "INSERT INTO reports_reportcount (service_id, minute, country, problem_type_id, "
            "count) SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], "
            "%s::bigint[], %s::int[]) ON CONFLICT (service_id, minute, country, "
            "problem_type_id) DO UPDATE SET count = reports_reportcount.count + EXCLUDED.count",
            [
                [k[0] for k in keys],
                [k[1] for k in keys],
                [k[2] for k in keys],
                [k[3] for k in keys],
                [cells[k] for k in keys],
            ],
        )


class StormproofIntake:
    """ASGI wrapper: POST /api/v1/reports/ handled here, everything else by Django."""

    def __init__(self, django_app) -> None:  # type: ignore[no-untyped-def]
        self.django_app = django_app
        self.batcher: Batcher | None = None
        self.limiter = RateLimiter(settings.REDIS_URL) if settings.REDIS_URL else None
        self.catalogue: dict[str, CatalogueEntry] = {}
        self.catalogue_at = 0.0
        self.salts: dict[date, str] = {}
        self.enabled = settings.FAST_INTAKE and connections["default"].vendor == "postgresql"

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if (
            self.enabled
            and scope["type"] == "http"
            and scope["path"] == PATH
            and scope["method"] == "POST"
        ):
            return await self.intake(scope, receive, send)
        return await self.django_app(scope, receive, send)

    async def lifespan(self, receive, send) -> None:  # type: ignore[no-untyped-def]
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def intake(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if not host_allowed(scope):  # as Django's get_host(): no answer for unknown hosts
            return await respond(send, 400, {"detail": "Invalid Host header."})
        content_type = (header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            return await respond(
                send, 415, {"detail": 'Unsupported media type: send "application/json".'}
            )
        body, too_large = await read_body(receive, REPORT_BODY_MAX_BYTES)
        if too_large:
            detail = f"Request body too large: at most {REPORT_BODY_MAX_BYTES} bytes."
            return await respond(send, 400, {"detail": detail})
        try:
            data = loads_bounded(body)
        except JSONTooDeep as error:
            return await respond(send, 400, {"detail": f"JSON parse error - {error}"})
        except ValueError as error:
            return await respond(send, 400, {"detail": f"JSON parse error - {error}"})
        try:
            catalogue = await self.current_catalogue()
        except Unavailable:
            return await storage_unavailable(send)
        report, errors = validate_report(data, catalogue)
        if errors:
            return await respond(send, 400, errors)
        client = client_of_scope(scope)
        if self.limiter is not None:
            wait = await self.limiter.refused(report_sources(client))
            if wait is not None:
                return await respond(
                    send,
                    429,
                    {
                        "detail": f"Request was throttled. Expected available in "
                        f"{int(wait)} seconds."
                    },
                    retry_after=int(wait),
                )
        if self.batcher is None:
            self.batcher = Batcher()
        if self.batcher.overloaded():
            return await respond(send, 503, {"detail": "Overloaded, retry shortly."}, retry_after=1)
        at = datetime.now(UTC)
        try:
            salts = {day: await self.salt(day) for day in {at.date(), *counting.salt_days(at)}}
        except Unavailable:
            return await storage_unavailable(send)
        user_agent = (header(scope, b"user-agent") or b"").decode("latin-1")[:500]
        pending = Pending.build(
            report, client=client, user_agent=user_agent, salt_of=salts.__getitem__, at=at
        )
        try:
            stored = await self.batcher.submit(pending)
        except Unavailable:
            return await storage_unavailable(send)
        return await respond(send, 201, stored)

    async def current_catalogue(self) -> dict[str, CatalogueEntry]:
        if time.monotonic() - self.catalogue_at > CATALOGUE_TTL:
            try:
                self.catalogue = await sync_to_async(_fresh_catalogue)()
                self.catalogue_at = time.monotonic()
            except DatabaseError as error:
                if not self.catalogue:
                    raise Unavailable(str(error)) from error
                # Keep validating against the catalogue we have; look again shortly.
                log.warning("catalogue refresh failed, keeping the known one: %s", error)
                self.catalogue_at = time.monotonic() - CATALOGUE_TTL + CATALOGUE_RETRY
        return self.catalogue

    async def salt(self, day: date) -> str:
        if day not in self.salts:
            try:
                salt = await sync_to_async(_salt_closing_connection)(day)
            except DatabaseError as error:
                raise Unavailable(str(error)) from error
            # Today's and the day before's (a cap window that spans midnight): a few at most.
            self.salts = {d: s for d, s in self.salts.items() if d >= day - timedelta(days=1)}
            self.salts[day] = salt
        return self.salts[day]


def _fresh_catalogue() -> dict[str, CatalogueEntry]:
    try:
        return load_catalogue()
    finally:
        connections.close_all()


def _salt_closing_connection(day: date) -> str:
    try:
        return salt_for_day(day)
    finally:
        connections.close_all()


async def storage_unavailable(send) -> None:  # type: ignore[no-untyped-def]
    await respond(send, 503, {"detail": "Storage unavailable, retry shortly."}, retry_after=1)
