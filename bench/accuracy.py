"""docs/accuracy.json: the detector's measured accuracy, read by the methodology page.

Each evaluation command rewrites its own section and the time of measurement, keeping the
others: {"nab": {...}, "outages": {...}, "measured_at": "<ISO UTC>"}.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "docs" / "accuracy.json"


def update_accuracy(section: str, values: dict, path: Path = PATH) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    data[section] = values
    data["measured_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
