"""Scoring a NAB-style CSV: the pure function and the thin management command."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from detection.engine import EngineConfig, score_series
from detection.scoring import read_series, score_csv, score_file


def nab_like_csv(rows: int = 3 * 288, burst_at: int = 700) -> str:
    """Three days of 5-minute counts with a daily cycle and one burst, NAB's format."""
    rng = np.random.default_rng(11)
    minutes = np.arange(rows) * 5
    rate = 30 * (1 + 0.5 * np.sin(2 * np.pi * minutes / 1440))
    values = rng.poisson(rate)
    values[burst_at : burst_at + 6] *= 8
    start = np.datetime64("2015-02-26T21:42:53")
    stamps = [str(start + np.timedelta64(int(m), "m")).replace("T", " ") for m in minutes]
    lines = ["timestamp,value", *(f"{t},{v}" for t, v in zip(stamps, values, strict=True))]
    return "\n".join(lines) + "\n"


def test_score_csv_writes_every_row_with_score_and_label() -> None:
    text = nab_like_csv()
    out = io.StringIO()
    assert score_csv(io.StringIO(text), out) == 3 * 288
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["timestamp", "value", "anomaly_score", "label", "level"]
    assert [r["timestamp"] for r in rows] == [line.split(",")[0] for line in text.splitlines()[1:]]
    scores = np.array([float(r["anomaly_score"]) for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    assert ((scores >= 0) & (scores <= 1)).all()
    assert set(labels) <= {0, 1}
    assert scores[700:703].max() > 0.9 and labels[700:703].any()  # the burst, at its start


def test_score_csv_matches_the_engine_runner() -> None:
    text = nab_like_csv()
    _, epochs, values = read_series(io.StringIO(text))
    scores, labels, levels = score_series(epochs, values, EngineConfig())
    out = io.StringIO()
    score_csv(io.StringIO(text), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    np.testing.assert_allclose([float(r["anomaly_score"]) for r in rows], scores, atol=1e-6)
    np.testing.assert_array_equal([int(r["label"]) for r in rows], labels)
    np.testing.assert_array_equal([int(r["level"]) for r in rows], levels)


def test_score_series_command_writes_the_file_or_stdout(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(nab_like_csv(rows=400, burst_at=300))
    target = tmp_path / "out.csv"
    call_command("score_series", str(source), "--output", str(target), stderr=io.StringIO())
    stdout = io.StringIO()
    call_command("score_series", str(source), stdout=stdout)
    assert stdout.getvalue() == target.read_text()
    expected = tmp_path / "direct.csv"
    score_file(str(source), str(expected))
    assert target.read_text() == expected.read_text()
    assert len(target.read_text().splitlines()) == 401


def test_score_series_refuses_timestamps_that_go_back(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timestamps must not go back: data row 3"):
        score_series(np.array([0.0, 600.0, 300.0]), np.ones(3))

    path = tmp_path / "unordered.csv"
    path.write_text("timestamp,value\n2015-01-01 00:05:00,5\n2015-01-01 00:00:00,3\n")
    with pytest.raises(CommandError, match="timestamps must not go back"):
        call_command("score_series", str(path), output=str(tmp_path / "out.csv"))


def test_score_series_scores_every_row_of_a_repeated_hour() -> None:
    # NAB's CloudWatch files repeat 03:00 when the clock went back.
    times = np.r_[np.arange(4) * 300.0, 900.0, 900.0, 1200.0]

    scored = score_series(times, np.ones(len(times)))

    assert len(scored.level) == len(times)


def test_score_series_refuses_values_that_are_not_counts() -> None:
    times = np.arange(3) * 300.0
    for values in ([1, -3, 2], [1, np.inf, 2]):
        with pytest.raises(ValueError, match="finite and not negative: data row 2"):
            score_series(times, np.array(values, dtype=float))


def test_score_series_takes_missing_values_as_gaps() -> None:
    scored = score_series(np.arange(3) * 300.0, np.array([1.0, np.nan, 2.0]))

    assert scored.level.tolist() == [0, 0, 0]
