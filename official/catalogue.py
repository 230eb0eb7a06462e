"""The official status sources of the catalogue's services: `official/sources.json`, read here
with no Django (see the file's `_about` for every field).

`official.services.catalogue_load` (run by `manage.py load_official` on every deploy) writes it
to the database; `fixture` names the recorded copy in official/fixtures/ that tests and the demo
serve instead of the real page (there is no internet here: see `verified` and `source`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOURCES_FILE = Path(__file__).with_name("sources.json")


def read_sources(path: Path | str = SOURCES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


_SOURCES = read_sources()
OFFICIAL_PAGES: list[dict[str, Any]] = _SOURCES["sources"]
# Catalogue services whose vendor publishes no status page we know of.
NO_OFFICIAL_PAGE: list[str] = _SOURCES["no_official_status_page"]

# The pages with a recorded copy (what the demo and the tests can poll without internet).
RECORDED_PAGES = [page for page in OFFICIAL_PAGES if page["fixture"]]
