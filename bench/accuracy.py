"""docs/accuracy.json: the detector's measured accuracy, read by the methodology page.

Each evaluation command rewrites its own section and the time of measurement, keeping the
others: {"nab": {...}, "outages": {...}, "measured_at": "<ISO UTC>"}. Run it to regenerate both
sections (`make eval-detection` and `make eval-outages`, one after the other).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "docs" / "accuracy.json"


def update_accuracy(section: str, values: dict, path: Path = PATH) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    data[section] = values
    data["measured_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def main() -> None:
    """Regenerate every section: the NAB evaluation, then the simulated outages."""
    for script in ("eval_detection.py", "eval_outages.py"):
        subprocess.run([sys.executable, str(Path(__file__).with_name(script))], check=True)


if __name__ == "__main__":
    main()
