"""Faults under load: Redis and PostgreSQL restart while reports pour in; nothing accepted
may be lost. Starts the production shape (bin/serve) on a fresh database, drives the intake
with wrk (as bench/ingest.py) and, a few seconds into each phase, restarts one server the way
this machine's CI starts them. After each phase every 2xx answer must have left a row. Also
checks that the Celery worker resumes detection after Redis came back, without a restart.
Last line:
    faults: redis-restart lost 0, postgres-restart lost 0, worker-kill not run
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import bench_env, bodies, fresh_database, serving, stored_reports, wrk

PHASE_SECONDS = 20
FAULT_AT = 6


def restart_redis() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    time.sleep(2)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )


def phase(name: str, fault, env: dict) -> dict:
    before = stored_reports(env)
    timer = threading.Timer(FAULT_AT, fault)
    timer.start()
    result = wrk("/api/v1/reports/", PHASE_SECONDS, env)
    timer.join()
    after = wrk("/api/v1/reports/", 3, env)  # recovered by itself?
    stored = stored_reports(env) - before
    acknowledged = result["ok"] + after["ok"]
    lost = max(0, acknowledged - stored)
    print(
        f"{name}: {result['ok']} accepted, {result['statuses']} statuses, socket errors "
        f"{result['socket_errors']}, p99 {result['p99_ms']:.0f} ms; afterwards "
        f"{after['ok']} accepted in 3 s; rows {stored} for {acknowledged} acknowledged"
    )
    return {"lost": lost, "recovered": after["ok"] > 0}


def cursor_minute(env: dict) -> str:
    return subprocess.run(
        [
            "psql",
            env["DATABASE_URL"],
            "-tAc",
            "SELECT coalesce(max(last_minute)::text, '') FROM detection_detectioncursor",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()


def main() -> None:
    env = bench_env(
        # Limits on but out of reach, so every report goes through Redis (and must survive
        # Redis restarting), yet one load generator is not refused.
        REPORT_RATE_LIMIT="100000000/m",
        REPORT_NETWORK_RATE_LIMIT="100000000/m",
    )
    fresh_database(env)
    env["BENCH_BODIES"] = bodies(env)
    with serving(["bash", "bin/serve"], env):
        redis = phase("redis-restart", restart_redis, env)
        # The worker must resume consuming by itself: the beat's next detection cycle runs.
        mark, deadline, resumed = cursor_minute(env), time.monotonic() + 150, False
        while time.monotonic() < deadline and not resumed:
            time.sleep(5)
            resumed = cursor_minute(env) not in ("", mark)
        print(
            f"celery after the Redis restart: detection cursor {mark!r} -> "
            f"{cursor_minute(env)!r}, resumed: {resumed}"
        )
        postgres = phase("postgres-restart", restart_postgres, env)
    ok = (
        redis["recovered"]
        and postgres["recovered"]
        and resumed
        and redis["lost"] == 0
        and postgres["lost"] == 0
    )
    print(
        f"faults: redis-restart lost {redis['lost']}, postgres-restart lost "
        f"{postgres['lost']}, worker-kill not run"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
