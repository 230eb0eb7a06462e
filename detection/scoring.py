"""Score a NAB-style CSV (``timestamp,value``) with the detection engine. No Django.

Timestamps are parsed with ``datetime.fromisoformat`` and read as UTC when naive. The output
has the input rows in order with columns ``timestamp,value,anomaly_score,label,level``: ``label``
is 1 where the live system would open an incident or raise its severity, ``level`` the
confirmed live state (0 ok, 1 possible, 2 outage).
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

import numpy as np

from detection.engine import EngineConfig, score_series, to_epoch


def read_series(stream: TextIO) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read ``timestamp,value`` rows -> (raw timestamp strings, epoch seconds UTC, values)."""
    reader = csv.DictReader(stream)
    if not reader.fieldnames or not {"timestamp", "value"} <= set(reader.fieldnames):
        raise ValueError("input needs columns timestamp and value")
    raw, values = [], []
    for row in reader:
        raw.append(row["timestamp"])
        values.append(float(row["value"]))
    epochs = np.array([to_epoch(datetime.fromisoformat(s.strip())) for s in raw], dtype=float)
    return raw, epochs, np.array(values, dtype=float)


def score_csv(source: TextIO, target: TextIO, config: EngineConfig | None = None) -> int:
    """Score the CSV in ``source`` and write the scored CSV to ``target``. Returns row count."""
    raw, epochs, values = read_series(source)
    scored = score_series(epochs, values, config)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["timestamp", "value", "anomaly_score", "label", "level"])
    for ts, value, score, label, level in zip(raw, values, *scored, strict=True):
        writer.writerow([ts, f"{value:g}", f"{score:.6f}", int(label), int(level)])
    return len(raw)


def score_file(input_path: str, output_path: str, config: EngineConfig | None = None) -> int:
    """File-path convenience wrapper around ``score_csv``."""
    with open(input_path, newline="") as src, open(output_path, "w", newline="") as dst:
        return score_csv(src, dst, config)
