"""Fill the database with realistic demo report counts (see demo.traffic)."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from common.buckets import from_epoch_minute
from demo.traffic import HISTORIC_EVENTS, HISTORY_BEFORE, ServiceCounts, generate_counts
from detection import services as detection
from outages.catalogue import SERVICES
from outages.models import ProblemType, Service
from outages.services import catalogue_load
from reports.models import ReportCount

COLUMNS = ("service_id", "minute", "country", "problem_type_id", "count")


class Command(BaseCommand):
    help = (
        "Load the service catalogue and fill ReportCount with generated demo traffic: six "
        "weeks of normal reports, real outages replayed at their real dates and a ChatGPT "
        "outage going on now. DEMO ONLY: it first DELETES the existing report counts of the "
        "seeded services (all of them unless --services is given)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--weeks", type=float, default=6, help="Weeks of history before now (default 6)."
        )
        parser.add_argument(
            "--ahead-hours",
            type=float,
            default=3,
            help="Hours generated past now, so the live outage keeps going (default 3).",
        )
        parser.add_argument(
            "--services", default="", help="Comma-separated slugs to seed (default: all)."
        )
        parser.add_argument(
            "--no-history-events",
            action="store_true",
            help="Skip the replayed 2024-2025 outages and the weeks around them.",
        )
        # Tests pin the clock; the demo itself always seeds around the real now.
        parser.add_argument("--now", help=argparse.SUPPRESS)

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        now = _parse_now(options["now"])
        catalogue = _select(options["services"])

        rows = 0
        # One transaction: readers see the old demo or the new one, never half of each.
        with transaction.atomic():
            catalogue_load()
            service_ids = dict(
                Service.objects.filter(slug__in=[s["slug"] for s in catalogue]).values_list(
                    "slug", "id"
                )
            )
            problem_ids = dict(ProblemType.objects.values_list("slug", "id"))
            counts = ReportCount.objects.all()
            if options["services"]:
                counts = counts.filter(service_id__in=service_ids.values())
            # A plain DELETE: ReportCount has no signals or dependants, so Django skips the
            # collector and SQLite can truncate the table outright.
            counts.delete()
            self._progress(f"Seeding {len(catalogue)} services' report counts...")
            done: set[str] = set()
            for service_counts in generate_counts(
                catalogue,
                now=now,
                seed=options["seed"],
                weeks=options["weeks"],
                ahead_hours=options["ahead_hours"],
                history=not options["no_history_events"],
            ):
                rows += _insert(service_counts, service_ids[service_counts.service], problem_ids)
                done.add(service_counts.service)
                # A line every tenth of the catalogue: the step takes most of a minute.
                if len(done) % max(1, len(catalogue) // 10) == 0 or len(done) == len(catalogue):
                    self._progress(f"  {len(done)} of {len(catalogue)} services seeded")

        seeded = time.perf_counter() - began
        self._progress("Replaying detection over the demo's weeks (baselines, incidents)...")
        incidents = _detect(service_ids, now, history=not options["no_history_events"])
        elapsed = time.perf_counter() - began
        self.stdout.write(
            f"Seeded demo data: {len(catalogue)} services, {rows:,} report-count rows, "
            f"now {now:%Y-%m-%d %H:%M} UTC + {options['ahead_hours']:g} h ahead, "
            f"in {seeded:.1f} s; detection replayed: {incidents} incidents, "
            f"{elapsed:.1f} s in all."
        )


def _detect(service_ids: dict[str, int], now: datetime, *, history: bool) -> int:
    """Run the live detector over the replayed events and up to now, as if it had been
    running all along (the quiet weeks between events are not replayed, to stay quick)."""
    parents = dict(Service.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    windows = []
    for event in HISTORIC_EVENTS if history else ():
        ids = [service_ids[slug] for slug in event.services if slug in service_ids]
        ids += [parents[i] for i in ids if i in parents]
        if ids:
            windows.append((event.start - timedelta(hours=2), event.end + timedelta(hours=2), ids))
    detection.reset()
    # Fit on the history the demo generated around each event, as a detector running all
    # along would have: the weeks between events were never generated, and read as silent
    # weeks they would drag the baselines down and flag surges a live run does not flag.
    return detection.replay(windows, now, history_days=HISTORY_BEFORE.days)


def _parse_now(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now: {error}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _select(slugs: str) -> list[dict[str, Any]]:
    if not slugs:
        return SERVICES
    wanted = {slug.strip() for slug in slugs.split(",") if slug.strip()}
    unknown = wanted - {service["slug"] for service in SERVICES}
    if unknown:
        raise CommandError(f"Unknown services: {', '.join(sorted(unknown))}")
    return [service for service in SERVICES if service["slug"] in wanted]


def _insert(counts: ServiceCounts, service_id: int, problem_ids: dict[str, int]) -> int:
    """Write one service's cells in as few round trips as the database allows."""
    if not len(counts):
        return 0
    countries = counts.country_codes().tolist()
    problems = np.array([problem_ids[slug] for slug in counts.problems])[counts.problem].tolist()
    tally = counts.count.tolist()
    if connection.vendor == "postgresql":
        # COPY is several times faster than INSERT batches; timestamptz parses this text.
        minutes = _minute_strings(counts.minute, "%s+00")
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {ReportCount._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            for row in zip(minutes, countries, problems, tally, strict=True):
                copy.write_row((service_id, *row))
    elif connection.vendor == "sqlite":
        # Django stores an aware datetime on SQLite as naive UTC text, 'YYYY-MM-DD HH:MM:SS'
        # (DatabaseOperations.adapt_datetimefield_value): the same text keeps lookups exact.
        minutes = _minute_strings(counts.minute, "%s")
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {ReportCount._meta.db_table} ({', '.join(COLUMNS)}) "
                f"VALUES ({placeholders})",
                list(zip(repeat(service_id), minutes, countries, problems, tally)),
            )
    else:
        ReportCount.objects.bulk_create(
            (
                ReportCount(
                    service_id=service_id,
                    minute=from_epoch_minute(minute),
                    country=country,
                    problem_type_id=problem,
                    count=count,
                )
                for minute, country, problem, count in zip(
                    counts.minute.tolist(), countries, problems, tally, strict=True
                )
            ),
            batch_size=5000,
        )
    return len(counts)


def _minute_strings(minutes: np.ndarray, template: str) -> list[str]:
    # Format each distinct minute once (a service repeats a minute over countries and
    # problems), in numpy rather than one strftime per row.
    distinct, inverse = np.unique(minutes, return_inverse=True)
    text = np.datetime_as_string(distinct.astype("datetime64[m]"), unit="s")
    formatted = np.array([template % value.replace("T", " ") for value in text.tolist()])
    return formatted[inverse].tolist()
