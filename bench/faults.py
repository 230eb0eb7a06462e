"""Faults under load: Redis and PostgreSQL restart while reports pour in, and a Celery worker
dies mid-task; nothing accepted may be lost. Starts the production shape (bin/serve) on a fresh
database, drives the intake with wrk (as bench/ingest.py) and, a few seconds into each phase,
restarts one server the way this machine's CI starts them. After each phase every 2xx answer
must have left a row. Also checks that the Celery worker resumes detection after Redis came
back, without a restart, and that a baseline fit whose worker process was SIGKILLed mid-way is
redelivered and writes the same fit as an uninterrupted run. Last line:
    faults: redis-restart lost 0, postgres-restart lost 0, worker-kill lost 0
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (
    PYTHON,
    bench_env,
    bodies,
    fresh_database,
    run,
    serving,
    stored_reports,
    wrk,
    wrk_result,
    wrk_start,
)

# Seconds of load per restart phase, the fault a third of the way in (bench-smoke: fewer).
PHASE_SECONDS = int(os.environ.get("FAULTS_PHASE_SECONDS", "20"))
FAULT_AT = max(3, PHASE_SECONDS * 3 // 10)
# Long enough for a fit, its rerun killed half-way, and the redelivered one.
WORKER_KILL_SECONDS = 45


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
    return psql(env, "SELECT coalesce(max(last_minute)::text, '') FROM detection_detectioncursor")


def psql(env: dict, query: str) -> str:
    return subprocess.run(
        ["psql", env["DATABASE_URL"], "-tAc", query], capture_output=True, text=True, check=True
    ).stdout.strip()


def fit_at(env: dict, at: str) -> tuple[int, str]:
    """How many baseline fits exist for instant `at`, and a digest of their arrays (one
    SeriesBaseline row per series, in the order of their positions)."""
    count, digest = psql(
        env,
        "SELECT count(DISTINCT fit.id), "
        "coalesce(md5(string_agg(md5(row.payload), '' ORDER BY fit.id, row.position)), '') "
        "FROM detection_baselinefit fit "
        "LEFT JOIN detection_seriesbaseline row ON row.fit_id = fit.id "
        f"WHERE fit.fitted_at = '{at}'",
    ).split("|")
    return int(count), digest


def delete_fit(env: dict, at: str) -> None:
    """Drop the fit of instant `at` (its series rows first: the foreign key does not cascade
    in the database, only in Django)."""
    fits = f"SELECT id FROM detection_baselinefit WHERE fitted_at = '{at}'"
    psql(env, f"DELETE FROM detection_seriesbaseline WHERE fit_id IN ({fits})")
    psql(env, f"DELETE FROM detection_baselinefit WHERE fitted_at = '{at}'")


def wait_for_fit(env: dict, at: str, timeout: float) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fit_at(env, at)
        if found[0]:
            return found
        time.sleep(0.2)
    return 0, ""


def running_task_pid(app: Celery, task_id: str, timeout: float) -> int | None:
    """The pool process executing `task_id`, as the worker reports it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for tasks in (app.control.inspect(timeout=0.5).active() or {}).values():
            for task in tasks:
                if task["id"] == task_id:
                    return task["worker_pid"]
        time.sleep(0.1)
    return None


def kill_worker_mid_task(env: dict) -> dict:
    """The hourly baseline fit, once uninterrupted, then again with its worker process
    SIGKILLed half-way: it must be redelivered and write the same fit, exactly once."""
    app = Celery(broker=env["REDIS_URL"])
    at = (datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)).isoformat()
    fit = "detection.tasks.refresh_baselines"

    began = time.monotonic()
    app.send_task(fit, kwargs={"at": at})
    _, reference = wait_for_fit(env, at, 180)
    took = time.monotonic() - began
    delete_fit(env, at)

    sent = time.monotonic()
    task_id = app.send_task(fit, kwargs={"at": at}).id
    pid = running_task_pid(app, task_id, 60)
    time.sleep(max(0.0, sent + took / 2 - time.monotonic()))
    mid_task = pid is not None and fit_at(env, at)[0] == 0
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    count, digest = wait_for_fit(env, at, 180)
    print(
        f"worker-kill: uninterrupted fit took {took:.1f} s; pool process {pid} SIGKILLed "
        f"{took / 2:.1f} s into the same task (mid-task: {mid_task}); redelivered fit written "
        f"{time.monotonic() - killed_at:.1f} s later: {count} fit(s), same arrays: "
        f"{digest == reference and bool(reference)}"
    )
    return {
        "completed": count == 1,
        "same": bool(reference) and digest == reference,
        "mid_task": mid_task,
    }


def main() -> None:
    env = bench_env(
        # Limits on but out of reach, so every report goes through Redis (and must survive
        # Redis restarting), yet one load generator is not refused.
        REPORT_RATE_LIMIT="100000000/m",
        REPORT_NETWORK_RATE_LIMIT="100000000/m",
    )
    fresh_database(env)
    # Six weeks of history, so the hourly baseline fit is long enough to be killed half-way.
    run(PYTHON, "manage.py", "seed_demo", "--no-history-events", env=env)
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
        # Reports keep pouring in while the worker dies: the intake never depends on it.
        before = stored_reports(env)
        load = wrk_start("/api/v1/reports/", WORKER_KILL_SECONDS, env)
        task = kill_worker_mid_task(env)
        during = wrk_result(load, WORKER_KILL_SECONDS)
        kill_lost = max(0, during["ok"] - (stored_reports(env) - before))
        print(
            f"worker-kill load: {during['ok']} accepted, {during['statuses']} statuses, "
            f"{kill_lost} lost"
        )
        # A task that never completed is lost work too.
        kill_lost += 0 if task["completed"] else 1
    ok = (
        redis["recovered"]
        and postgres["recovered"]
        and resumed
        and redis["lost"] == 0
        and postgres["lost"] == 0
        and kill_lost == 0
        and task["same"]
        and task["mid_task"]
    )
    print(
        f"faults: redis-restart lost {redis['lost']}, postgres-restart lost "
        f"{postgres['lost']}, worker-kill lost {kill_lost}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
