from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opendata import services


class Command(BaseCommand):
    help = "Write the open-data dump of one UTC day (default: yesterday) and all incidents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (default: yesterday, UTC).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else None
        except ValueError as error:
            raise CommandError(f"--day: {error}") from error
        for path in services.dump_day(day or services.yesterday(timezone.now())):
            self.stdout.write(f"Open data: wrote {path} ({path.stat().st_size:,} bytes)")
