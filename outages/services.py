"""Writes to the outages domain."""

from __future__ import annotations

from django.db import transaction

from outages.catalogue import PROBLEM_TYPES, SERVICES, service_problems
from outages.models import ProblemType, Service


@transaction.atomic
def catalogue_load() -> None:
    """Upsert the catalogue's problem types and services by slug; safe to run any number of times.

    Services the catalogue does not list (added by an admin) are left alone, and so are
    problem types; a catalogue service's problem types are set to exactly the catalogue's.
    """
    problem_types: dict[str, ProblemType] = {}
    for position, (slug, name) in enumerate(PROBLEM_TYPES):
        problem_types[slug], _ = ProblemType.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )

    services: dict[str, Service] = {}
    # The catalogue lists parents before children, so a parent is always in `services`.
    for entry in SERVICES:
        parent_slug = entry["parent"]
        service, _ = Service.objects.update_or_create(
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
        service.problem_types.set([problem_types[slug] for slug in service_problems(entry)])
        services[entry["slug"]] = service
