"""Report validation shared by every intake path, against an in-memory catalogue.

The DRF view, the storm-proof ASGI intake and the benchmark's reference view all answer the
same {"field": ["message"]} errors for the same input.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_countries import countries

from reports.models import COMMENT_MAX_LENGTH


@dataclass(frozen=True)
class CatalogueEntry:
    service_id: int
    name: str
    problems: dict[str, int]  # problem slug -> ProblemType id


@dataclass(frozen=True)
class ReportInput:
    service_slug: str
    service_id: int
    problem_slug: str
    problem_type_id: int
    country: str
    comment: str


def load_catalogue() -> dict[str, CatalogueEntry]:
    from outages.models import Service

    entries: dict[str, CatalogueEntry] = {}
    for service in Service.objects.prefetch_related("problem_types"):
        entries[service.slug] = CatalogueEntry(
            service.pk, service.name, {p.slug: p.pk for p in service.problem_types.all()}
        )
    return entries


def _text(data: dict, name: str, errors: dict, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = ["This field is required."]
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[name] = ["Not a valid string."]
        return ""
    text = str(value)
    if "\x00" in text:
        errors[name] = ["Null characters are not allowed."]
    return text


def validate_report(
    data: object, catalogue: dict[str, CatalogueEntry]
) -> tuple[ReportInput | None, dict[str, list[str]]]:
    """Check a decoded JSON body; returns (clean input, {}) or (None, field errors)."""
    if not isinstance(data, dict):
        return None, {"non_field_errors": ["Invalid data. Expected a JSON object."]}
    errors: dict[str, list[str]] = {}
    service_slug = _text(data, "service", errors)
    problem_slug = _text(data, "problem", errors)
    country_value = _text(data, "country", errors)
    comment = _text(data, "comment", errors, required=False)
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [f"Ensure this field has no more than {COMMENT_MAX_LENGTH} characters."]
    country = country_value.upper() if country_value.upper() in countries else ""
    if not country and country_value:
        country = countries.by_name(country_value) or ""
    if "country" not in errors and not country:
        errors["country"] = [f'"{country_value}" is not a valid choice.']
    entry = catalogue.get(service_slug)
    if "service" not in errors and entry is None:
        errors["service"] = [f"Unknown service '{service_slug}'."]
    if entry is not None and "problem" not in errors and problem_slug not in entry.problems:
        offered = ", ".join(entry.problems)
        errors["problem"] = [f"{entry.name} offers these problems: {offered}."]
    if errors:
        return None, errors
    assert entry is not None
    return ReportInput(
        service_slug,
        entry.service_id,
        problem_slug,
        entry.problems[problem_slug],
        country,
        comment,
    ), {}
