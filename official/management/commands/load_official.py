"""Load the official status pages of the catalogue (the demo: recorded copies) and poll them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from official import services
from official.catalogue import RECORDED_PAGES


class Command(BaseCommand):
    help = "Load the official status page catalogue; --recorded: the demo's local copies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--recorded",
            action="store_true",
            help="Point the pages with a recorded copy at the development server "
            "(SITE_URL/official/fixtures/) and poll them now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["recorded"]:
            base = settings.SITE_URL.rstrip("/") + "/official/fixtures"
            loaded = services.catalogue_load(RECORDED_PAGES, base_url=base)
            self.stdout.write(f"Official status: {loaded} recorded pages served from {base}/")
        else:
            loaded = services.catalogue_load()
            self.stdout.write(f"Official status: {loaded} pages loaded")
