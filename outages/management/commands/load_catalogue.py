"""Load the real service catalogue (outages/catalogue.json) into the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from outages.catalogue import CATALOGUE_FILE
from outages.services import catalogue_load


class Command(BaseCommand):
    help = (
        "Create or update the catalogue's problem types and services by slug. Idempotent and "
        "safe in production: it never deletes a service, a problem type or a report, and "
        "leaves services added through the admin alone. Every deploy runs it after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            default=str(CATALOGUE_FILE),
            help="A catalogue JSON file in the same format (default: the bundled one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = catalogue_load(options["file"])
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"Cannot load {options['file']}: {error!r}") from error
        self.stdout.write(
            f"Catalogue loaded: {loaded.problem_types} problem types, "
            f"{loaded.services_created} services created, {loaded.services_updated} updated."
        )
