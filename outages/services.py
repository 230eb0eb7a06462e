"""Writes to the outages domain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from outages.catalogue import CATALOGUE_FILE, read_catalogue, service_problems
from outages.models import ProblemType, Service


@dataclass(frozen=True)
class CatalogueLoaded:
    problem_types: int
    services_created: int
    services_updated: int


@transaction.atomic
def catalogue_load(path: Path | str = CATALOGUE_FILE) -> CatalogueLoaded:
    """Upsert the catalogue's problem types and services by slug; safe to run any number of times.

    Nothing is deleted: services the catalogue does not list (added by an admin) are left
    alone, and so are their reports and every problem type; a catalogue service's problem
    types are set to exactly the catalogue's.
    """
    catalogue = read_catalogue(path)
    problem_types: dict[str, ProblemType] = {}
    for position, entry in enumerate(catalogue["problem_types"]):
        problem_types[entry["slug"]], _ = ProblemType.objects.update_or_create(
            slug=entry["slug"], defaults={"name": entry["name"], "position": position}
        )

    services: dict[str, Service] = {}
    created = 0
    # The catalogue lists parents before children, so a parent is always in `services`.
    for entry in catalogue["services"]:
        parent_slug = entry["parent"]
        service, was_created = Service.objects.update_or_create(
            slug=entry["slug"],
            defaults={
                "name": entry["name"],
                "company": entry["company"],
                "category": entry["category"],
                "website": entry["website"],
                "status_page_url": entry["status_page_url"],
                "parent": services[parent_slug] if parent_slug else None,
                "countries": entry["countries"],
                "provider_tags": entry["provider_tags"],
            },
        )
        created += was_created
        problems = service_problems(entry, catalogue["category_problems"])
        service.problem_types.set([problem_types[slug] for slug in problems])
        services[entry["slug"]] = service
    return CatalogueLoaded(
        problem_types=len(problem_types),
        services_created=created,
        services_updated=len(services) - created,
    )
