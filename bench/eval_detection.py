"""Evaluate the detection engine on the NAB realTweets DEV set.

Usage: python bench/eval_detection.py [NAB_DIR]   (default: ../shared/data/nab from the repo)

Runs ``detection.scoring`` (the code behind ``manage.py score_series``) on every CSV of NAB_DIR
with one global ``EngineConfig``, each file from a fresh state, writes the results to a temp
dir, then runs NAB_DIR/score.py with the optimised threshold and with ``--use-labels``.
windows.json is read here only to report precision and delay of the engine's labels; the
detector never sees it. The last line printed is the summary; its leave-one-file-out figures
(appended at its end) measure over-fitting: for each file, the threshold is the one NAB's
optimiser picks on the other four, and the held-out file is scored with it. The engine's own
labels have no threshold to choose, so their leave-one-file-out score equals the plain one.
Then scores the same way, as extra validation, seven volume-like files of NAB's other
categories (bench/data/nab_extra, see its README): no constant was chosen on them.
And scores the DEV files thinned to a quarter of their volume (``thinned_validation``: every
count binomially thinned, the same windows): the volume of a smaller service, which is where
a detector tuned on busy files would break first.
Also sorts the engine labels' false rows by the issue's outage shapes
(``bench/nab_false_alarms.py``). Writes the "nab" section of docs/accuracy.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.accuracy import update_accuracy  # noqa: E402
from bench.nab_false_alarms import (  # noqa: E402
    KINDS,
    false_alarm_kinds,
    probation_rows,
    window_mask,
)
from detection.scoring import score_file  # noqa: E402

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
EXTRA = REPO / "bench/data/nab_extra"


def _score_one(args: tuple[str, str]) -> str:
    score_file(*args)
    return Path(args[0]).name


def run_scorer(nab_dir: Path, results: Path, *extra: str, windows: Path | None = None) -> dict:
    """Run NAB's score.py on the results dir and return its JSON report (windows: NAB_DIR's
    windows.json unless given)."""
    windows = windows or nab_dir / "windows.json"
    out = subprocess.run(
        [
            sys.executable,
            str(nab_dir / "score.py"),
            str(results),
            "--json",
            "--windows",
            str(windows),
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)["profiles"]


def label_stats(nab_dir: Path, results: Path) -> tuple[float, float, float, int, int]:
    """Precision of alarm onsets and mean delays (hours) of the engine's labels.

    An alarm is a run of consecutive label=1 rows after probation; it is a true alarm when its
    first row lies in a window. Delay: from the window's start, and from its centre (NAB
    centres windows on the labelled anomaly), to the first labelled row in the window.
    """
    windows = json.loads((nab_dir / "windows.json").read_text())
    tp_alarms = alarms = 0
    delays_start: list[float] = []
    delays_centre: list[float] = []
    for key, spans in windows.items():
        path = results / Path(key).name
        if not path.exists():
            continue
        rows = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        times = np.array([datetime.fromisoformat(s).timestamp() for s in rows["timestamp"]])
        label = rows["label"].astype(bool)
        label[: probation_rows(len(label))] = False
        onsets = np.flatnonzero(label & ~np.r_[False, label[:-1]])
        inside = np.zeros(len(times), dtype=bool)
        for a, b in spans:
            ta, tb = datetime.fromisoformat(a).timestamp(), datetime.fromisoformat(b).timestamp()
            in_w = window_mask(times, [a, b])
            inside |= in_w
            hits = np.flatnonzero(in_w & label)
            if len(hits):
                delays_start.append((times[hits[0]] - ta) / 3600)
                delays_centre.append((times[hits[0]] - (ta + tb) / 2) / 3600)
        alarms += len(onsets)
        tp_alarms += int(inside[onsets].sum())
    precision = tp_alarms / alarms if alarms else float("nan")
    return (
        precision,
        float(np.mean(delays_start)) if delays_start else float("nan"),
        float(np.mean(delays_centre)) if delays_centre else float("nan"),
        tp_alarms,
        alarms,
    )


def leave_one_out(
    nab_dir: Path, results: Path, windows_path: Path | None = None
) -> dict[str, float]:
    """Per profile: the normalised score when each file is scored at the threshold optimised
    on the other files (NAB's optimiser, from NAB_DIR/score.py), and the labels' score."""
    spec = importlib.util.spec_from_file_location("nab_score", nab_dir / "score.py")
    nab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nab)
    windows = nab.load_windows(windows_path or nab_dir / "windows.json")
    series = nab.load_results(results, windows, "", "anomaly_score")
    out = {}
    for profile, weights in nab.PROFILES.items():
        raw = 0.0
        for held_out in series:
            others = [s for s in series if s is not held_out]
            raw += nab.score_file(held_out, nab.best_threshold(others, weights), weights)["raw"]
        null = nab.null_score(series, weights)
        perfect = weights.tp * sum(s.n_windows for s in series)
        out[profile] = 100.0 * (raw - null) / (perfect - null)
    return out


def score_dir(data: Path, results: Path) -> None:
    """Score every CSV of ``data`` into ``results``, two files at a time."""
    results.mkdir(parents=True, exist_ok=True)
    jobs = [(str(p), str(results / p.name)) for p in sorted(data.glob("*.csv"))]
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_score_one, jobs))


def extra_validation(nab_dir: Path, results: Path, extra: Path = EXTRA) -> dict[str, float]:
    """Scores on bench/data/nab_extra, where no constant was chosen: optimised threshold,
    leave-one-file-out and the engine's labels, standard profile."""
    score_dir(extra, results)
    scores, lab = _standard_scores(nab_dir, results, extra / "windows.json")
    hits = sum(f["tp"] for f in lab["files"].values())
    windows_n = hits + sum(f["fn"] for f in lab["files"].values())
    fp = sum(f["fp"] for f in lab["files"].values())
    return {
        **scores,
        "label_hits": hits,
        "windows": windows_n,
        "label_fp": fp,
    }


# Thinned DEV: keep each tweet with this probability. A quarter brings the busiest DEV files
# (medians of 47-50 per 5 minutes) to the volume of the quieter ones and those (14-16) to a
# few per bucket. One draw moves the leave-one-file-out score by 10 points or more, so the
# figures are the mean over three fixed seeds (reproducible), with their range.
THIN_FRACTION = 0.25
THIN_SEEDS = (2026, 2027, 2028)


def thinned_validation(
    nab_dir: Path, results: Path, seeds: tuple[int, ...] = THIN_SEEDS
) -> dict[str, list[float]]:
    """Per score (optimised threshold, leave-one-file-out, engine labels; standard profile),
    its value on each thinning of ``THIN_SEEDS``."""
    out: dict[str, list[float]] = {"standard": [], "loo": [], "labels": []}
    for seed in seeds:
        for key, value in _thinned_once(nab_dir, results / str(seed), seed).items():
            out[key].append(value)
    return out


def _thinned_once(nab_dir: Path, results: Path, seed: int) -> dict[str, float]:
    """Scores on the DEV files with every count binomially thinned to ``THIN_FRACTION``
    (a random sample of the same tweets, with the same anomaly windows)."""
    rng = np.random.default_rng(seed)
    data = results / "data"
    data.mkdir(parents=True, exist_ok=True)
    for path in sorted(nab_dir.glob("*.csv")):
        rows = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        kept = rng.binomial(rows["value"].astype(np.int64), THIN_FRACTION)
        lines = [f"{t},{v}" for t, v in zip(rows["timestamp"], kept, strict=True)]
        (data / path.name).write_text("timestamp,value\n" + "\n".join(lines) + "\n")
    out = results / "scored"
    score_dir(data, out)
    return _standard_scores(nab_dir, out)[0]


def _standard_scores(
    nab_dir: Path, results: Path, windows: Path | None = None
) -> tuple[dict[str, float], dict]:
    """The standard profile's optimised, leave-one-file-out and engine-label scores of a
    results dir (windows: NAB_DIR's unless given), and the labels' full report."""
    opt = run_scorer(nab_dir, results, "--profile", "standard", windows=windows)
    lab = run_scorer(nab_dir, results, "--profile", "standard", "--use-labels", windows=windows)
    scores = {
        "standard": opt["standard"]["score"],
        "loo": leave_one_out(nab_dir, results, windows)["standard"],
        "labels": lab["standard"]["score"],
    }
    return scores, lab["standard"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nab_dir", nargs="?", default=str(REPO.parent / "shared/data/nab"))
    parser.add_argument("--keep", help="write results here instead of a temp dir")
    parser.add_argument("--no-write", action="store_true", help="do not update accuracy.json")
    # bench-smoke: a NAB_DIR and an --extra dir of two files each, one thinned draw.
    parser.add_argument("--extra", default=str(EXTRA), help="the extra validation's NAB files")
    parser.add_argument("--thin-draws", type=int, default=len(THIN_SEEDS), choices=(1, 2, 3))
    args = parser.parse_args()
    nab_dir = Path(args.nab_dir).resolve()
    csvs = sorted(nab_dir.glob("*.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(args.keep or tmp)
        started = time.perf_counter()
        score_dir(nab_dir, results)
        print(f"scored {len(csvs)} files in {time.perf_counter() - started:.1f} s")
        opt = run_scorer(nab_dir, results)
        lab = run_scorer(nab_dir, results, "--use-labels")
        for name, rep in (("optimised", opt), ("labels", lab)):
            for profile in PROFILES:
                r = rep[profile]
                tp = sum(f["tp"] for f in r["files"].values())
                fn = sum(f["fn"] for f in r["files"].values())
                fp = sum(f["fp"] for f in r["files"].values())
                print(
                    f"{name:9} {profile:20} score {r['score']:6.2f} "
                    f"threshold {r['threshold']:.4g} TP {tp} FN {fn} FP rows {fp}"
                )
        precision, d_start, d_centre, tp_alarms, alarms = label_stats(nab_dir, results)
        print(
            f"engine labels: precision {precision:.2f} ({tp_alarms}/{alarms} alarms in windows), "
            f"mean delay {d_start:.1f} h after window start ({d_centre:+.1f} h vs centre)"
        )
        kinds = false_alarm_kinds(results, nab_dir)
        print(
            "engine labels' false rows by shape (bench/nab_false_alarms.py): "
            + ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS)
        )
        loo = leave_one_out(nab_dir, results)
        print(
            "leave-one-file-out (threshold optimised on the other four files): "
            + " ".join(f"{profile} {score:.2f}" for profile, score in loo.items())
        )
        extra_dir = Path(args.extra).resolve()
        extra = extra_validation(nab_dir, results / "extra", extra_dir)
        print(
            f"extra validation ({len(list(extra_dir.glob('*.csv')))} NAB files outside realTweets, "
            f"no constant chosen on them): standard {extra['standard']:.2f}, "
            f"leave-one-file-out {extra['loo']:.2f}, engine labels {extra['labels']:.2f} "
            f"({extra['label_hits']}/{extra['windows']} windows, {extra['label_fp']} FP rows)"
        )
        seeds = THIN_SEEDS[: args.thin_draws]
        spread = thinned_validation(nab_dir, results / "thinned", seeds)
        thin = {key: float(np.mean(values)) for key, values in spread.items()}
        print(
            f"thinned DEV (every count kept with probability {THIN_FRACTION:g}, same windows; "
            f"mean of {len(seeds)} draws, range): "
            + ", ".join(
                f"{name} {thin[key]:.2f} ({min(spread[key]):.1f}-{max(spread[key]):.1f})"
                for key, name in (
                    ("standard", "standard"),
                    ("loo", "leave-one-file-out"),
                    ("labels", "engine labels"),
                )
            )
        )
        if not args.no_write:
            update_accuracy(
                "nab",
                {
                    "dev": {
                        "standard": round(opt["standard"]["score"], 2),
                        "low_fp": round(opt["reward_low_FP_rate"]["score"], 2),
                        "low_fn": round(opt["reward_low_FN_rate"]["score"], 2),
                        "labels": round(lab["standard"]["score"], 2),
                    },
                    "loo": {
                        "standard": round(loo["standard"], 2),
                        "labels": round(lab["standard"]["score"], 2),
                    },
                    "extra": {
                        "standard": round(extra["standard"], 2),
                        "loo": round(extra["loo"], 2),
                        "labels": round(extra["labels"], 2),
                    },
                    "thinned": {
                        "standard": round(thin["standard"], 2),
                        "loo": round(thin["loo"], 2),
                        "labels": round(thin["labels"], 2),
                    },
                },
            )
        print(
            f"nab-dev: standard {opt['standard']['score']:.1f} "
            f"low-fp {opt['reward_low_FP_rate']['score']:.1f} "
            f"low-fn {opt['reward_low_FN_rate']['score']:.1f} (optimised threshold); "
            f"engine labels {lab['standard']['score']:.1f}; "
            f"leave-one-file-out standard {loo['standard']:.1f}, "
            f"engine labels {lab['standard']['score']:.1f}; "
            f"extra NAB files standard {extra['standard']:.1f}, "
            f"engine labels {extra['labels']:.1f}; "
            f"thinned DEV standard {thin['standard']:.1f}, engine labels {thin['labels']:.1f}"
        )


if __name__ == "__main__":
    main()
