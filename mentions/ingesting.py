"""Wiring an ingester to the database: the tally's flush is mentions.services.mentions_record,
resumed from the stored cursor. Used by the two management commands."""

from __future__ import annotations

import asyncio
import logging
import signal

from django.db import close_old_connections

from mentions import selectors, services
from mentions.rules import compile_rules
from mentions.tally import Counts, Tally
from outages.models import Service

log = logging.getLogger(__name__)


def database_tally(source: str, dedupe_span: int, *, resume: bool = True) -> Tally:
    """A tally of the catalogue's services that stores into the database as `source`.

    `resume`: skip posts at or before the stored position (a source that replays from a cursor,
    Jetstream). Mastodon's stream has no replay, and a status federated late can carry an id
    below the position, so there it would only drop real posts."""
    ids = services.service_ids()
    popular = {
        slug: list(countries)
        for slug, countries in Service.objects.values_list("slug", "countries")
    }

    def flush(counts: Counts, position: int, read_until: float) -> None:
        close_old_connections()  # runs in a worker thread: drop a connection the server closed
        services.mentions_record(
            source=source, counts=counts, position=position, read_until=read_until, services=ids
        )

    return Tally(
        matcher=compile_rules(services=ids),
        flush=flush,
        dedupe_span=dedupe_span,
        popular={slug: [str(c) for c in countries] for slug, countries in popular.items()},
        committed=selectors.ingest_position(source) if resume else None,
    )


def run_until_signalled(ingester) -> None:  # type: ignore[no-untyped-def]
    """Run an ingester until SIGTERM or SIGINT, then flush and return."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        await ingester.run(stop=stop)

    asyncio.run(main())
    stats = ingester.tally.stats
    log.info(
        "stopped: %d posts, %d matched, %d duplicates, %d frames skipped",
        stats.posts,
        stats.matched,
        stats.duplicates,
        stats.skipped_frames,
    )
