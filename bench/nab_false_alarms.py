"""What the engine's false alarms on NAB look like, in the issue's own outage shapes.

Usage: python bench/eval_detection.py --keep DIR; python bench/nab_false_alarms.py DIR [NAB_DIR]

NAB counts every alarm outside its labelled windows as a false positive. This sorts the
scored ones (after probation) by what the counts did from the alarm on, against the median of
the hour that ended 15 minutes before the rise (so that a ramp is not its own reference):

- crash-shaped: >= 8x at the rise and >= 3x on average over its first 30 minutes (the issue's
  crash: 8-60x within 1-3 minutes, for 30 minutes or more);
- partial-shaped: >= 3x on average over 20 minutes, no bucket under 2x, >= 15 extra
  reports in the first 10 (the issue's partial outage: 3-5x for 20-60 minutes, >= 15 extra
  reports in its first 10);
- at the partial deadline: >= 3x with >= 15 extra reports over the first 10 minutes, back down
  before 20: what a partial outage looks like when its 10-minute deadline falls;
- surge-shaped: >= 1.5x (the "possible" multiple) on average over the next hour;
- other.

It looks ahead, so it is a diagnostic of the labels, never a detector. An alarm of the first
three kinds is one the issue's crash and partial-outage goals oblige a detector of report
counts to raise within their deadlines (5 and 10 minutes), before it can know more. The last
line printed is the summary.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
KINDS = ("crash-shaped", "partial-shaped", "at the partial deadline", "surge-shaped", "other")


def classify(values: np.ndarray, row: int, bucket_minutes: float) -> str:
    """The shape of the counts from the alarm at ``row`` on (the rise began a bucket before)."""

    def buckets(minutes: float) -> int:
        return max(1, round(minutes / bucket_minutes))

    start = max(row - 1, 0)
    gap, hour = buckets(15), buckets(60)
    before = values[max(0, start - gap - hour + 1) : max(0, start - gap + 1)]
    ref = max(float(np.median(before)) if len(before) else 0.0, 1.0)

    def ahead(minutes: float) -> np.ndarray:
        return values[start : start + buckets(minutes)]

    extra10 = float(ahead(10).sum()) - ref * len(ahead(10))
    if ahead(2 * bucket_minutes).max() >= 8 * ref and ahead(30).mean() >= 3 * ref:
        return "crash-shaped"
    if ahead(20).mean() >= 3 * ref and ahead(20).min() >= 2 * ref and extra10 >= 15:
        return "partial-shaped"
    if ahead(10).mean() >= 3 * ref and extra10 >= 15:
        return "at the partial deadline"
    if ahead(60).mean() >= 1.5 * ref:
        return "surge-shaped"
    return "other"


def probation_rows(n_rows: int) -> int:
    """NAB's probation: its scorer leaves out the first min(floor(0.15 * rows), 750) rows."""
    return min(math.floor(0.15 * n_rows), 750)


def window_mask(times: np.ndarray, span: list[str]) -> np.ndarray:
    """Rows (epoch seconds ``times``) inside one NAB window [start, end], ends included."""
    ta, tb = (datetime.fromisoformat(s).timestamp() for s in span)
    return (times >= ta) & (times <= tb)


def false_alarm_kinds(results: Path, nab_dir: Path) -> Counter[str]:
    """Kinds of the scored label=1 rows outside every window, over the result files."""
    windows = json.loads((nab_dir / "windows.json").read_text())
    kinds: Counter[str] = Counter()
    for key, spans in windows.items():
        path = results / Path(key).name
        if not path.exists():
            continue
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        times = np.array([datetime.fromisoformat(r["timestamp"]).timestamp() for r in rows])
        values = np.array([float(r["value"]) for r in rows])
        label = np.array([r["label"] == "1" for r in rows])
        label[: probation_rows(len(rows))] = False
        for span in spans:
            label &= ~window_mask(times, span)
        bucket_minutes = float(np.median(np.diff(times))) / 60.0
        for row in np.flatnonzero(label):
            kinds[classify(values, int(row), bucket_minutes)] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="a results dir of eval_detection.py --keep")
    parser.add_argument("nab_dir", nargs="?", default=str(REPO.parent / "shared/data/nab"))
    args = parser.parse_args()
    kinds = false_alarm_kinds(Path(args.results), Path(args.nab_dir))
    total = sum(kinds.values())
    print(
        f"nab false alarms: {total} scored false rows; "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS)
    )


if __name__ == "__main__":
    main()
