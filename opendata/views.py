"""The /data/ page and its files, and /methodology/ (how a spike becomes an incident, and the
figures the project measures on itself)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control

from detection.engine import EngineConfig
from opendata.selectors import K_FLOOR
from opendata.services import COUNT_COLUMNS, INCIDENT_COLUMNS, dump_dir
from reports import promise

# Only the names the dump writes: nothing else in the directory is ever served.
DUMP_NAME = re.compile(r"^(counts-15m-\d{4}-\d{2}-\d{2}|incidents)\.csv\.gz$")


# The simulator's kinds of outage (detection.simulate), named in the reader's language.
KIND_WORDS = {
    "crash": gettext_lazy("Crash (sudden, total)"),
    "surge": gettext_lazy("Surge (slow rise)"),
    "partial": gettext_lazy("Partial outage"),
}


def data_page(request: HttpRequest) -> HttpResponse:
    files = sorted(
        (
            {"name": path.name, "size": path.stat().st_size}
            for path in dump_dir().iterdir()
            if DUMP_NAME.match(path.name)
        ),
        key=lambda f: f["name"],
        reverse=True,
    )
    context = {
        "files": files,
        "count_columns": COUNT_COLUMNS,
        "incident_columns": INCIDENT_COLUMNS,
        "k_below": K_FLOOR - 1,
    }
    return render(request, "opendata/data.html", context)


@cache_control(max_age=3600, public=True)
def data_file(request: HttpRequest, name: str) -> FileResponse:
    if not DUMP_NAME.match(name):
        raise Http404
    path = dump_dir() / name
    if not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


def load_accuracy(path: Path) -> dict:
    """The evaluation commands' figures; {} when the file is missing or unreadable (the page
    then says so instead of failing)."""
    try:
        figures = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return figures if isinstance(figures, dict) else {}


def _get(tree: dict, *keys: str) -> object:
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)  # type: ignore[assignment]
    return tree


@cache_control(max_age=300, public=True)
def methodology(request: HttpRequest) -> HttpResponse:
    accuracy = load_accuracy(Path(settings.ACCURACY_FILE))
    nab = [
        (label, _get(accuracy, "nab", part, key))
        for part, key, label in (
            ("dev", "standard", _("NAB standard profile")),
            ("dev", "low_fp", _("NAB, few false alarms rewarded")),
            ("dev", "low_fn", _("NAB, few missed anomalies rewarded")),
            ("dev", "labels", _("NAB standard, the detector's own alarms")),
            ("loo", "standard", _("NAB standard, threshold chosen without the scored file")),
            ("loo", "labels", _("NAB, the detector's own alarms, threshold chosen without it")),
            ("extra", "standard", _("NAB standard, files of other categories, never tuned on")),
            ("extra", "labels", _("NAB, other categories, the detector's own alarms")),
        )
    ]
    outages = _get(accuracy, "outages")
    kinds = []
    if isinstance(outages, dict):
        for kind in ("crash", "surge", "partial"):
            row = outages.get(kind)
            if isinstance(row, dict):
                kinds.append(
                    (KIND_WORDS[kind], row.get("recall"), row.get("n"), row.get("median_delay_min"))
                )
    config = EngineConfig()
    context = {
        "config": config,
        # "less often than 1 in 100000": odds read better than 1e-05.
        "odds_possible": f"{round(1 / config.p_possible):,}",
        "odds_outage": f"{round(1 / config.p_outage):,}",
        "reopen_hours": f"{config.reopen_minutes / 60:g}",
        "exclude_hours": f"{config.exclude_incident_minutes / 60:g}",
        "nab": [(label, value) for label, value in nab if isinstance(value, int | float)],
        "outage_kinds": kinds,
        "false_alarms": _get(accuracy, "outages", "false_alarms_per_series_month"),
        "measured_at": accuracy.get("measured_at"),
        "dedupe_minutes": settings.REPORT_DEDUPE_MINUTES,
        "max_per_address": settings.REPORT_MAX_COUNTED_PER_ADDRESS,
        "max_per_network": settings.REPORT_MAX_COUNTED_PER_NETWORK,
        "cap_hours": f"{promise.CAP_WINDOW_MINUTES / 60:g}",
    }
    return render(request, "opendata/methodology.html", context)
