"""Load the catalogue of official status sources (official/sources.json); idempotent, so every
deploy path runs it after load_catalogue. The demo's --recorded variant reads the recorded
copies straight from files, so its status and acknowledgements show from the first minute."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from official import services
from official.catalogue import OFFICIAL_PAGES
from official.models import StatusPage


class Command(BaseCommand):
    help = (
        "Load the official status sources of the catalogue's services (idempotent). "
        "--recorded: the demo's local copies, polled at once from their files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--recorded",
            action="store_true",
            help="Point the sources with a recorded copy at the development server "
            "(SITE_URL/official/fixtures/), poll them now from the files, and link the others "
            "without polling them (no internet).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["recorded"]:
            loaded = services.catalogue_load()
            linked = sum(len(page["services"]) for page in OFFICIAL_PAGES)
            self.stdout.write(f"Official status: {loaded} sources of {linked} services loaded")
            return
        base = settings.SITE_URL.rstrip("/") + "/official/fixtures"
        loaded = services.catalogue_load(base_url=base, offline=True)
        # The first poll reads the files: the web server that serves them may not be up yet
        # (make run starts the worker first). Later polls go through it, conditionally.
        read = services.recorded_get(base)
        recorded = StatusPage.objects.filter(polled=True, url__startswith=base)
        for page in recorded:
            services.poll_page(page, get=read)
        self.stdout.write(
            f"Official status: {loaded} sources, {recorded.count()} recorded ones read from "
            f"files and then served from {base}/"
        )
