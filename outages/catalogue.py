"""The services opendown knows about out of the box, and the problems people report for them.

The catalogue is data, `outages/catalogue.json`, read here with no Django:
`outages.services.catalogue_load` (run by `manage.py load_catalogue`) writes it to the
database. It holds only real facts about real services; the demo's invented traffic volumes
live with the demo code (`demo/volumes.py`).

The file has three keys:
- problem_types: [{slug, name}], in display order (the position becomes ProblemType.position);
- category_problems: {category: [problem slugs, most reported first]}, a service's default;
- services: [{slug, name, company, category (an `outages.models.Category` value), website,
  status_page_url ("" when the company publishes none), parent (slug or null; parents are
  listed before their children), countries (ISO 3166-1 alpha-2, most important first),
  provider_tags (shared infrastructure: aws, azure, cloudflare...), problems (optional: else
  the category's)}].

An operator adds their own services through the admin (they are never touched by the loader),
or edits a copy of the file and runs `manage.py load_catalogue --file their.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")


def read_catalogue(path: Path | str = CATALOGUE_FILE) -> dict[str, Any]:
    """The parsed catalogue file: problem_types, category_problems and services."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


_CATALOGUE = read_catalogue()
# (slug, name), in display order.
PROBLEM_TYPES: list[tuple[str, str]] = [
    (entry["slug"], entry["name"]) for entry in _CATALOGUE["problem_types"]
]
CATEGORY_PROBLEMS: dict[str, list[str]] = _CATALOGUE["category_problems"]
SERVICES: list[dict[str, Any]] = _CATALOGUE["services"]


def service_problems(
    service: dict[str, Any], category_problems: dict[str, list[str]] | None = None
) -> list[str]:
    """A service's problem slugs, most reported first: its own list or its category's."""
    defaults = CATEGORY_PROBLEMS if category_problems is None else category_problems
    return list(service.get("problems") or defaults[service["category"]])
