"""The one report validation: the ASGI intake, the DRF serializer and the HTML form all call
validate_report, so the same input gets the same answer and the same {"field": ["message"]}
errors on every path.

Everything a report is stored with is checked here, before anything is queued: a value that
PostgreSQL would refuse (a NUL, a lone surrogate) must be a 400 for its sender, never a failed
batch for its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django_countries import countries

from outages.models import Service
from reports import counting
from reports.models import COMMENT_MAX_LENGTH


@dataclass(frozen=True)
class CatalogueEntry:
    service_id: int
    name: str
    problems: dict[str, int]  # problem slug -> ProblemType id
    family_id: int  # the family its reports are capped in (reports.counting.family_id)


@dataclass(frozen=True)
class ReportInput:
    service_slug: str
    service_id: int
    family_id: int
    problem_slug: str
    problem_type_id: int
    country: str
    comment: str


def load_catalogue() -> dict[str, CatalogueEntry]:
    entries: dict[str, CatalogueEntry] = {}
    parent_of = dict(Service.objects.values_list("pk", "parent_id"))
    for service in Service.objects.prefetch_related("problem_types"):
        entries[service.slug] = CatalogueEntry(
            service.pk,
            service.name,
            {p.slug: p.pk for p in service.problem_types.all()},
            counting.family_id(service.pk, parent_of),
        )
    return entries


def catalogue_entry(slug: str) -> dict[str, CatalogueEntry]:
    """The catalogue restricted to one service (two queries): what the Django paths validate
    against, instead of loading every service per request."""
    service = Service.objects.filter(slug=slug).prefetch_related("problem_types").first()
    if service is None:
        return {}
    problems = {p.slug: p.pk for p in service.problem_types.all()}
    return {slug: CatalogueEntry(service.pk, service.name, problems, counting.family_of(service))}


# Lone surrogates (not encodable in UTF-8: PostgreSQL refuses them) and control characters
# (C0 except tab/newline/carriage return, DEL, C1); NUL has its own message, as Django's.
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\t\n\r]")


def _text(data: Mapping, name: str, errors: dict, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None or (value == "" and required):
        if required:
            errors[name] = [_("This field is required.")]
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[name] = [_("Not a valid string.")]
        return ""
    text = str(value).strip()
    if "\x00" in text:
        errors[name] = [_("Null characters are not allowed.")]
    elif _SURROGATES.search(text):
        errors[name] = [_("Lone surrogates are not allowed.")]
    elif _CONTROLS.search(text) or (name != "comment" and _LINE_BREAKS.search(text)):
        errors[name] = [_("Control characters are not allowed.")]
    elif required and not text:
        errors[name] = [_("This field is required.")]
    return text


def validate_report(
    data: object, catalogue: Mapping[str, CatalogueEntry]
) -> tuple[ReportInput | None, dict[str, list[str]]]:
    """Check a decoded JSON body or form; returns (clean input, {}) or (None, field errors).

    Text is trimmed of surrounding whitespace on every path (" chatgpt " is chatgpt)."""
    if not isinstance(data, Mapping):
        return None, {"non_field_errors": [_("Invalid data. Expected a JSON object.")]}
    errors: dict[str, list[str]] = {}
    service_slug = _text(data, "service", errors)
    problem_slug = _text(data, "problem", errors)
    country_value = _text(data, "country", errors)
    comment = _text(data, "comment", errors, required=False)
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Ensure this field has no more than %d characters.") % COMMENT_MAX_LENGTH
        ]
    country = ""
    if "country" not in errors:
        country = country_value.upper() if country_value.upper() in countries else ""
        if not country and country_value:
            country = countries.by_name(country_value) or ""
        if not country:
            errors["country"] = [_('"%s" is not a valid choice.') % country_value]
    entry = catalogue.get(service_slug) if "service" not in errors else None
    if "service" not in errors and entry is None:
        errors["service"] = [_("Unknown service '%s'.") % service_slug]
    if entry is not None and "problem" not in errors and problem_slug not in entry.problems:
        offered = ", ".join(entry.problems)
        errors["problem"] = [
            _("%(service)s offers these problems: %(offered)s.")
            % {"service": entry.name, "offered": offered}
        ]
    if errors:
        return None, errors
    assert entry is not None
    return ReportInput(
        service_slug,
        entry.service_id,
        entry.family_id,
        problem_slug,
        entry.problems[problem_slug],
        country,
        comment,
    ), {}
