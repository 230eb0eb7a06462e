"""Every benchmark and evaluation at a tiny size, so that none can rot between the runs that
measure: each `make bench-*` and `eval-*` script runs once, small, and any error fails.

Usage: python bench/smoke.py [NAME ...]   (default: all, in the order below; --list names them)

The figures printed are meaningless at these sizes: only that each script ran to its summary
line and exited 0 is checked. The scripts need what their make targets need: PostgreSQL and
Redis (DATABASE_URL, REDIS_URL; each bench works in databases of its own), wrk and nginx
(`make bench-tools`), ../shared/data/nab for eval-detection. bench-faults restarts the local
PostgreSQL and Redis servers (as CI starts them): it runs last, and only on a machine of one's
own (CI). BENCH_PORT moves the servers the load benches start (default 8765 and up).

Each script runs in a session of its own; one that overruns its time is stopped with its whole
process group, by process id. Last line:
    bench-smoke: N of N ran
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAB = ROOT.parent / "shared/data/nab"
NAB_EXTRA = ROOT / "bench/data/nab_extra"


def tiny_nab(tmp: Path) -> tuple[str, ...]:
    """eval_detection.py's arguments for two DEV files and the two smallest extra files (each
    dir with its windows.json and NAB's scorer, which leaves out the files it lacks), and one
    thinned draw."""
    dirs = []
    for name, source, files in (
        ("dev", NAB, sorted(NAB.glob("*.csv"))[:2]),
        ("extra", NAB_EXTRA, sorted(NAB_EXTRA.glob("*.csv"), key=lambda p: p.stat().st_size)[:2]),
    ):
        folder = tmp / name
        folder.mkdir()
        for path in [*files, source / "windows.json", NAB / "score.py"]:
            (folder / path.name).symlink_to(path)
        dirs.append(str(folder))
    return (dirs[0], "--extra", dirs[1], "--thin-draws", "1")


@dataclass(frozen=True)
class Script:
    name: str  # the make target it stands for
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    timeout: int = 600
    # More arguments, made in a temporary dir of the run (tiny inputs).
    inputs: Callable[[Path], tuple[str, ...]] | None = None


SCRIPTS = (
    Script(
        "eval-outages",
        ("bench/eval_outages.py", "--streams", "1", "--family-streams", "1", "--no-write"),
    ),
    Script("oracle-outages", ("bench/oracle_outages.py", "--streams", "1")),
    Script("oracle-budget", ("bench/oracle_budget.py", "--streams", "1")),
    Script(
        "eval-detection",
        ("bench/eval_detection.py", "--no-write"),
        {"DEBUG": "1"},
        timeout=900,
        inputs=tiny_nab,
    ),
    Script(
        "bench-detection",
        (
            "bench/detection.py",
            "--sizes",
            "200",
            "--naive-subset",
            "20",
            "--real-services",
            "20",
            "--history-days",
            "35",
        ),
    ),
    Script(
        "bench-ingest",
        ("bench/ingest.py",),
        {
            "BENCH_SECONDS": "3",
            "BENCH_REFERENCE_SECONDS": "2",
            "BENCH_READS_SECONDS": "2",
            "BENCH_PAGES_SECONDS": "2",
            "BENCH_CONNECTIONS": "4",
        },
    ),
    Script("bench-abuse", ("bench/abuse.py",)),
    Script(
        "bench-scaleout", ("bench/scaleout.py",), {"SCALEOUT_SECONDS": "9", "SCALEOUT_RATE": "50"}
    ),
    Script("bench-mentions", ("bench/mentions.py",), {"BENCH_SECONDS": "1"}),
    # A database of its own (its default), not the one the other benches are pointed at.
    Script(
        "bench-cgnat",
        ("bench/cgnat.py",),
        {"DATABASE_URL": f"sqlite:///{ROOT}/var/smoke_cgnat.sqlite3"},
    ),
    Script("bench-faults", ("bench/faults.py",), {"FAULTS_PHASE_SECONDS": "9"}),
)


def run(script: Script) -> tuple[int, str, float]:
    """Run one script; its exit code (124: stopped after its time), last line and seconds."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        more = script.inputs(Path(tmp)) if script.inputs else ()
        return _run(script, more, started)


def _run(script: Script, more: tuple[str, ...], started: float) -> tuple[int, str, float]:
    process = subprocess.Popen(
        [sys.executable, *script.args, *more],
        cwd=ROOT,
        # Servers get minutes to come up: bin/serve migrates and collects static files first.
        env={**os.environ, "BENCH_UP_SECONDS": "300", **script.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=script.timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        # Its session's process group: the servers and load generators it started, not ours.
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        code = 124
    lines = [line for line in output.splitlines() if line.strip()]
    if code != 0:
        print("\n".join(lines[-40:]))
    return code, lines[-1] if lines else "", time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="make targets to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the names and stop")
    parser.add_argument("--skip", action="append", default=[], help="a make target not to run")
    args = parser.parse_args()
    known = {script.name: script for script in SCRIPTS}
    if args.list:
        print("\n".join(known))
        return
    unknown = sorted((set(args.names) | set(args.skip)) - set(known))
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
    chosen = [
        s for s in SCRIPTS if (not args.names or s.name in args.names) and s.name not in args.skip
    ]
    failed = []
    for script in chosen:
        print(f"--- {script.name}: {' '.join(script.args[1:])}", flush=True)
        code, last, seconds = run(script)
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{script.name}: {verdict} in {seconds:.0f} s; last line: {last}", flush=True)
        if code != 0:
            failed.append(script.name)
    ran = len(chosen) - len(failed)
    failures = f"; failed: {', '.join(failed)}" if failed else ""
    print(f"bench-smoke: {ran} of {len(chosen)} ran{failures}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
