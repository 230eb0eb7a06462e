"""Several machines in one: two app-server replicas behind the repository's nginx config,
two detection workers (`-Q detection`), one worker for the other queues and one beat, sharing
one PostgreSQL and one Redis. Reports are driven through the proxy with wrk; a third of the
way in one replica and one detection worker are SIGKILLed. Then checks that every report
answered 2xx is stored exactly once and that the detection cycle went on after the kill (the
surviving detection worker ran it: the cursor moved past the kill).

Also prints the connection budget seen: the most PostgreSQL connections open at once.
Last line:
    scaleout: 41234 accepted, 0 lost, detection cycles continued
Environment: DATABASE_URL's server (database SCALEOUT_DB, default opendown_scaleout, is
recreated), REDIS_URL, SCALEOUT_SECONDS (60 of load), BENCH_PORT (8765: the proxy on the
next port, the replicas on the two after), SCALEOUT_RATE (reports/s offered, 600).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import bench_env, bodies, run, wrk_result, wrk_start  # noqa: E402
from bench.proxy import Nginx  # noqa: E402

VENV = ROOT / ".venv" / "bin"
DB = os.environ.get("SCALEOUT_DB", "opendown_scaleout")
BASE_PORT = int(os.environ.get("BENCH_PORT", "8765"))
PROXY_PORT, REPLICA_PORTS = BASE_PORT + 1, (BASE_PORT + 2, BASE_PORT + 3)


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_http(port: int, path: str = "/healthz", timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answered on port {port}")


def psql(env: dict, sql: str) -> str:
    return run("psql", env["DATABASE_URL"], "-tAc", sql).strip()


def cursor_minute(env: dict) -> datetime | None:
    value = psql(env, "SELECT extract(epoch FROM last_minute) FROM detection_detectioncursor")
    return datetime.fromtimestamp(float(value), UTC) if value else None


class ConnectionPeak(threading.Thread):
    """Samples pg_stat_activity for the bench database once a second."""

    def __init__(self, env: dict) -> None:
        super().__init__(daemon=True)
        self.env, self.peak, self.stopped = env, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                count = psql(
                    self.env, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB}'"
                )
                self.peak = max(self.peak, int(count) - 1)  # not this psql itself
            except subprocess.CalledProcessError:
                pass


def main() -> None:
    seconds = int(os.environ.get("SCALEOUT_SECONDS", "60"))
    rate = float(os.environ.get("SCALEOUT_RATE", "600"))
    env = bench_env(WEB_WORKERS="1", DB_POOL_SIZE="4")
    base = urlsplit(env["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(base._replace(path=f"/{DB}"))
    admin = urlunsplit(base._replace(path="/postgres"))
    run("psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    run("psql", admin, "-qc", f"CREATE DATABASE {DB}")
    # What the compose file's one-shot init does.
    run(str(VENV / "python"), "manage.py", "migrate", "--noinput", env=env)
    run(str(VENV / "python"), "manage.py", "load_catalogue", env=env)
    run(str(VENV / "python"), "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    env["BENCH_BODIES"] = bodies(env)

    logs = Path(tempfile.mkdtemp(prefix="opendown-scaleout-"))
    processes: dict[str, subprocess.Popen] = {}
    proxy = None
    peak = ConnectionPeak(env)
    try:
        for i, port in enumerate(REPLICA_PORTS, 1):
            processes[f"web{i}"] = start(
                [
                    str(VENV / "uvicorn"),
                    "config.asgi:application",
                    *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
                    *("--loop", "uvloop", "--http", "httptools", "--no-access-log"),
                ],
                env,
                logs / f"web{i}.log",
            )
        # Two detection workers on the detection queue only (one is killed below; the other
        # must carry on), and one for the rest (roll-ups, deliveries, polls), as in
        # docker-compose.yml: detection never shares a worker with outbound calls.
        for i in (1, 2):
            processes[f"worker{i}"] = start(
                [
                    str(VENV / "celery"),
                    *("-A", "config", "worker", "-n", f"scaleout{i}@%h", "-Q", "detection"),
                    *("--concurrency=1", "--loglevel=warning"),
                ],
                env,
                logs / f"worker{i}.log",
            )
        processes["worker-other"] = start(
            [
                str(VENV / "celery"),
                *("-A", "config", "worker", "-n", "scaleout-other@%h", "-Q", "celery,outbound"),
                *("--concurrency=1", "--loglevel=warning"),
            ],
            env,
            logs / "worker-other.log",
        )
        processes["beat"] = start(
            [str(VENV / "celery"), "-A", "config", "beat", "--loglevel=info"],
            env,
            logs / "beat.log",
        )
        for port in REPLICA_PORTS:
            wait_http(port)
        proxy = Nginx(
            logs / "nginx",
            listen=PROXY_PORT,
            app_servers=[f"127.0.0.1:{port}" for port in REPLICA_PORTS],
        )
        proxy.wait_ready(host="127.0.0.1")
        peak.start()

        connections = 32
        load = wrk_start(
            "/api/v1/reports/",
            seconds,
            env,
            connections=connections,
            delay_ms=connections * 1000 / rate,
            port=PROXY_PORT,
        )
        time.sleep(seconds / 3)
        killed_at = datetime.now(UTC)
        kill(processes["web1"])
        kill(processes["worker1"])
        print(f"  killed web1 and worker1 at {killed_at:%H:%M:%S}", file=sys.stderr)
        result = wrk_result(load, seconds)

        # The surviving worker must score the minutes after the kill: wait for the beat's
        # next cycles (every minute) to move the cursor past it. A scored minute that ended
        # after the kill can only have been scored after it.
        deadline = time.monotonic() + 180
        continued = False
        while time.monotonic() < deadline:
            minute = cursor_minute(env)
            if minute is not None and minute + timedelta(minutes=1) > killed_at:
                continued = True
                break
            time.sleep(5)
    finally:
        peak.stopped.set()
        if proxy is not None:
            proxy.stop()
        for process in processes.values():
            kill(process, signal.SIGTERM)

    stored = int(psql(env, "SELECT count(*) FROM reports_report"))
    accepted = result["ok"]
    lost = max(0, accepted - stored)
    print(
        f"load through the proxy: {result['requests_per_s']:.0f} requests/s offered "
        f"{rate:.0f}/s, {accepted} accepted, statuses {result['statuses']}, "
        f"socket errors {result['socket_errors']}, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms; {stored} stored "
        f"({stored - accepted} stored whose answer was lost with the killed replica)"
    )
    print(
        f"connection budget: at most {peak.peak} PostgreSQL connections open at once "
        f"(2 replicas x 1 process x (pool 4 + 1 intake), 2 detection workers + 1 other, beat 0)"
    )
    print(f"logs: {logs}")
    cycles = "detection cycles continued" if continued else "detection cycles STOPPED"
    print(f"scaleout: {accepted} accepted, {lost} lost, {cycles}")
    sys.exit(0 if continued and not lost else 1)


if __name__ == "__main__":
    main()
