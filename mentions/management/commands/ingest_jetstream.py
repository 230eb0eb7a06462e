"""Long-running: count Bluesky posts saying a service is down, from Jetstream (JETSTREAM_URL)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mentions.ingesting import database_tally, run_until_signalled
from mentions.jetstream import DEDUPE_SECONDS, JetstreamIngester
from mentions.models import Source


class Command(BaseCommand):
    help = (
        "Read Bluesky's Jetstream (posts only), count posts that say a catalogue service is "
        "down, store counts with the cursor; resumes after a restart. Off (exits) when neither "
        "--url nor JETSTREAM_URL is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="Jetstream subscribe URL (ws:// or wss://).")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.JETSTREAM_URL
        if not url:
            self.stdout.write("jetstream: JETSTREAM_URL is not set; nothing to do")
            return
        ingester = JetstreamIngester(
            url=url, tally=database_tally(Source.BLUESKY, DEDUPE_SECONDS * 1_000_000)
        )
        self.stdout.write(f"jetstream: reading {url}")
        run_until_signalled(ingester)
