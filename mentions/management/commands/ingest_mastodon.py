"""Long-running: count Mastodon posts saying a service is down, from one server's public
streaming API (MASTODON_STREAMING_URL; off when unset)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mentions.ingesting import database_tally, run_until_signalled
from mentions.mastodon import DEDUPE_IDS, MastodonIngester
from mentions.models import Source


class Command(BaseCommand):
    help = (
        "Read one Mastodon server's public streaming API (Server-Sent Events), count posts "
        "that say a catalogue service is down. Off (exits) when neither --server nor "
        "MASTODON_STREAMING_URL is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", default="", help="https://mastodon.example")

    def handle(self, *args: Any, **options: Any) -> None:
        server = options["server"] or settings.MASTODON_STREAMING_URL
        if not server:
            self.stdout.write("mastodon: MASTODON_STREAMING_URL is not set; nothing to do")
            return
        ingester = MastodonIngester(
            server=server,
            tally=database_tally(Source.MASTODON, DEDUPE_IDS, resume=False),
            access_token=settings.MASTODON_ACCESS_TOKEN,
        )
        self.stdout.write(f"mastodon: reading {server}")
        run_until_signalled(ingester)
