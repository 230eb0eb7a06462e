"""`make bench-isolation`: an outage starts while every outside party is hostile at once, and
the detector must not notice them (issue 25, "the detector never waits on anything outside").

Against bin/serve's processes (uvicorn, the detection worker on `-Q detection`, the default
and `outbound` workers, beat) on PostgreSQL + Redis, with, all on the loopback:
- 50 webhook subscriptions to a server that verifies them (echoes the challenge) and then
  answers every alert one byte every DRIP_SECONDS;
- EMAIL_URL pointing at an SMTP server that accepts connections and never greets, and 9
  email subscribe requests (confirmation mails). No alert mails: without a mail timeout
  (EMAIL_TIMEOUT, another change) each would hold an outbound worker process for good and
  the slow webhooks would never be reached; the detector would not notice either way;
- three official status pages: one drips, one sends an endless body, one redirects to the
  cloud metadata address.
Then a crowd reports an outage of one service (distinct addresses through the one trusted
proxy), until the detector opens an outage incident (at most ISOLATION_MAX_MINUTES), and the
run goes on for ISOLATION_AFTER_MINUTES more while the alert wave hits the slow receivers.

Measured: the detection worker's cycle cadence (start to start, from its own log), how long
after the first report the outage was opened, and the latency of page reads all along. The
status pages and webhooks live on the loopback, so private targets are allowed in this run:
refusing inside addresses is what tests/common/test_outbound.py shows; this run shows time.
Last line:
    isolation: detection cycles every <= 60 s, outage found in N min, pages p99 X ms
Environment: DATABASE_URL's server (database ISOLATION_DB, default opendown_isolation, is
recreated), REDIS_URL, BENCH_PORT (web; the hostile servers on the next two ports).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
DB = os.environ.get("ISOLATION_DB", "opendown_isolation")
PORT = ingest.PORT
HOSTILE_PORT, SMTP_PORT = PORT + 1, PORT + 2
SERVICE = os.environ.get("ISOLATION_SERVICE", "zoom")
WEBHOOKS = 50
DRIP_SECONDS = 3
# Reports a minute in the outage: a crowd far above the service's normal volume, from as
# many addresses, so neither the caps nor the detector's crowd rule hold it back.
SURGE_PER_MINUTE = int(os.environ.get("ISOLATION_SURGE_PER_MINUTE", "240"))
MAX_MINUTES = float(os.environ.get("ISOLATION_MAX_MINUTES", "10"))
AFTER_MINUTES = float(os.environ.get("ISOLATION_AFTER_MINUTES", "3"))
PAGES = ("/", f"/status/{SERVICE}/", f"/api/v1/services/{SERVICE}/")
CYCLE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[^\]]+\] "
    r"Task detection\.tasks\.detect_spikes\[[^\]]+\] succeeded in ([\d.]+)s"
)


# --- The hostile outside world -------------------------------------------------------------


class Hostiles:
    """Slow webhooks, status pages and a mute SMTP server on one asyncio loop (a thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stats = {"verified": 0, "alerts": 0, "status": 0, "smtp": 0}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.http = await asyncio.start_server(self._http, "127.0.0.1", HOSTILE_PORT)
        self.smtp = await asyncio.start_server(self._smtp, "127.0.0.1", SMTP_PORT)
        self.started.set()
        self.stopping = asyncio.Event()
        await self.stopping.wait()
        for server in (self.http, self.smtp):
            server.close()
        # The connections still held open (dripping, never greeting) end with the run.
        held = asyncio.all_tasks() - {asyncio.current_task()}
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)

    def start(self) -> None:
        self.thread.start()
        self.started.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(5)

    async def _smtp(self, reader, writer) -> None:  # type: ignore[no-untyped-def]
        self.stats["smtp"] += 1
        await reader.read()  # never greets; waits for the client to give up

    async def _http(self, reader, writer) -> None:  # type: ignore[no-untyped-def]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
            if path.startswith("/hook/"):
                await self._webhook(body, writer)
            else:
                self.stats["status"] += 1
                await self._status_page(path, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _webhook(self, body: bytes, writer) -> None:  # type: ignore[no-untyped-def]
        message = json.loads(body or b"{}")
        if message.get("type") == "url_verification":  # it wants the alerts...
            self.stats["verified"] += 1
            answer = json.dumps({"challenge": message["challenge"]}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
            return
        self.stats["alerts"] += 1  # ...and takes them one byte every few seconds
        await self._drip(writer)

    async def _drip(self, writer) -> None:  # type: ignore[no-untyped-def]
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"." * 100_000
        for byte in answer:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(DRIP_SECONDS)

    async def _status_page(self, path: str, writer) -> None:  # type: ignore[no-untyped-def]
        if path.startswith("/slow"):
            await self._drip(writer)
        elif path.startswith("/huge"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            chunk = b"[" * 65536
            while True:  # an endless body
                writer.write(chunk)
                await writer.drain()
        else:
            writer.write(
                b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
            await writer.drain()


# --- The site --------------------------------------------------------------------------------


def manage(env: dict, script: str) -> str:
    return ingest.run(ingest.PYTHON, "manage.py", "shell", "-c", script, env=env)


def setup(env: dict) -> str:
    """A fresh database with two weeks of the service's normal reports and a fitted baseline;
    the hostile subscriptions and status pages. Returns a problem type slug of the service."""
    base = urlsplit(env["DATABASE_URL"])
    admin = urlunsplit(base._replace(path="/postgres"))
    ingest.run("psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    ingest.run("psql", admin, "-qc", f"CREATE DATABASE {DB}")
    ingest.run(ingest.PYTHON, "manage.py", "migrate", "--noinput", env=env)
    ingest.run(ingest.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    ingest.run(
        ingest.PYTHON,
        *("manage.py", "seed_demo", "--services", SERVICE, "--weeks", "2"),
        *("--no-history-events", "--ahead-hours", "0"),
        env=env,
    )
    hooks = f"http://127.0.0.1:{HOSTILE_PORT}/hook"
    pages = f"http://127.0.0.1:{HOSTILE_PORT}"
    out = manage(
        env,
        f"""
from alerts import services
from official.models import PageKind, StatusPage
from outages.models import Service
service = Service.objects.get(slug={SERVICE!r})
for i in range({WEBHOOKS}):
    services.subscription_create(service=service, webhook_url=f"{hooks}/{{i}}")
StatusPage.objects.all().delete()
for name in ("slow", "huge", "inward"):
    StatusPage.objects.create(name=name, kind=PageKind.STATUSPAGE, url=f"{pages}/{{name}}")
print("PROBLEM", service.problem_types.first().slug)
""",
    )
    return re.search(r"^PROBLEM (\S+)$", out, re.M).group(1)


def start(name: str, command: list[str], env: dict, logs: Path) -> subprocess.Popen:
    log = open(logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def serve(env: dict, logs: Path) -> dict[str, subprocess.Popen]:
    """bin/serve's parts and queues (the detector logs at INFO: its log times the cycles)."""
    celery = [str(VENV / "celery"), "-A", "config"]
    return {
        "detector": start(
            "detector",
            [*celery, "worker", "-Q", "detection", "-n", "detector@%h", "--concurrency=1",
             "--loglevel=info"],
            env, logs,
        ),
        "worker": start(
            "worker",
            [*celery, "worker", "-Q", "celery", "-n", "worker@%h", "--concurrency=1",
             "--loglevel=warning"],
            env, logs,
        ),
        "outbound": start(
            "outbound",
            [*celery, "worker", "-Q", "outbound", "-n", "outbound@%h", "--concurrency=2",
             "--loglevel=warning"],
            env, logs,
        ),
        "beat": start(
            "beat",
            [*celery, "beat", "--loglevel=warning", "--schedule", str(logs / "beat-schedule")],
            env, logs,
        ),
        "web": start(
            "web",
            [str(VENV / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(PORT), "--workers", "2", "--loop", "uvloop", "--http", "httptools",
             "--no-access-log", "--timeout-keep-alive", "30", "--no-proxy-headers"],
            env, logs,
        ),
    }  # fmt: skip


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def post(path: str, body: dict, client: str, timeout: float = 10) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class PageReader(threading.Thread):
    """Reads the pages a visitor would, one after the other, for the whole run."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.latencies_ms: list[float] = []
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.done.is_set():
            path = PAGES[i % len(PAGES)]
            i += 1
            began = time.monotonic()
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}{path}", headers={"X-Forwarded-For": f"192.0.2.{i % 200}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            except OSError:
                self.failures += 1
            self.latencies_ms.append((time.monotonic() - began) * 1000)
            time.sleep(0.2)


def psql(env: dict, query: str) -> str:
    return ingest.run("psql", env["DATABASE_URL"], "-tAc", query).strip()


def cycle_starts(log: Path) -> list[tuple[float, float]]:
    """(start, duration) of each detection cycle, from the detection worker's log."""
    cycles = []
    for line in log.read_text().splitlines():
        found = CYCLE.match(line)
        if found:
            ended = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            cycles.append((ended - float(found.group(2)), float(found.group(2))))
    return cycles


def main() -> None:
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opendown"))
    env = ingest.bench_env(
        DATABASE_URL=urlunsplit(base._replace(path=f"/{DB}")),
        DJANGO_SETTINGS_MODULE="config.settings",
        NUM_PROXIES="1",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
        ALERTS_ALLOW_PRIVATE_TARGETS="1",
        OFFICIAL_ALLOW_PRIVATE_TARGETS="1",
    )
    hostiles = Hostiles()
    hostiles.start()
    problem = setup(env)
    logs = Path(tempfile.mkdtemp(prefix="opendown-isolation-"))
    processes = serve(env, logs)
    reader = PageReader()
    found_after = None
    try:
        ingest.wait_until_up(300)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the outbound worker verifies the 50 webhooks
            active = int(psql(env, "SELECT count(*) FROM alerts_subscription WHERE "
                                   "channel = 'webhook' AND state = 'active'"))  # fmt: skip
            if active == WEBHOOKS:
                break
            time.sleep(2)
        print(f"  {active} of {WEBHOOKS} slow webhooks verified and active", file=sys.stderr)
        began = time.monotonic()
        reader.start()
        # Confirmation mails to the mute SMTP server (sent inside the request today).
        for i in range(9):
            threading.Thread(
                target=post,
                args=("/api/v1/subscriptions/", {"service": SERVICE, "email": f"v{i}@example.org"},
                      f"198.51.100.{i + 1}", 60),
                daemon=True,
            ).start()  # fmt: skip
        surge_began, sent, statuses, checked = time.monotonic(), 0, {}, 0.0
        surge_start_sql = psql(env, "SELECT now()")
        while time.monotonic() - surge_began < MAX_MINUTES * 60:
            due = int((time.monotonic() - surge_began) * SURGE_PER_MINUTE / 60) + 1
            while sent < due:
                client = f"{11 + sent // 65536}.{sent // 256 % 256}.{sent % 256}.9"
                status = post(
                    "/api/v1/reports/", {"service": SERVICE, "problem": problem, "country": "US"},
                    client,
                )  # fmt: skip
                statuses[status] = statuses.get(status, 0) + 1
                sent += 1
            if time.monotonic() - checked < 5:
                time.sleep(0.05)
                continue
            checked = time.monotonic()
            if psql(
                env,
                "SELECT count(*) FROM outages_incident i JOIN outages_service s "
                f"ON s.id = i.service_id WHERE s.slug = '{SERVICE}' AND i.severity = 'outage' "
                f"AND i.updated_at >= '{surge_start_sql}'",
            ) not in ("", "0"):
                found_after = time.monotonic() - surge_began
                break
        print(f"  {sent} outage reports sent, statuses {statuses}", file=sys.stderr)
        time.sleep(AFTER_MINUTES * 60)  # the alert wave meets the slow receivers meanwhile
        ended = time.monotonic()
        wall_began = time.time() - (ended - began)
    finally:
        reader.done.set()
        stop(processes)
        hostiles.stop()

    cycles = [c for c in cycle_starts(logs / "detector.log") if c[0] >= wall_began - 1]
    starts = [start for start, _ in cycles]
    gaps = np.diff(starts) if len(starts) > 1 else np.array([float("inf")])
    longest = max((duration for _, duration in cycles), default=float("inf"))
    deliveries = psql(env, "SELECT state || ':' || count(*) FROM alerts_delivery GROUP BY state")
    latencies = np.array(reader.latencies_ms)
    p99 = float(np.percentile(latencies, 99)) if len(latencies) else float("inf")
    print(
        f"  {len(cycles)} detection cycles in {(ended - began) / 60:.1f} min of hostile outside "
        f"world; start-to-start {gaps.min():.1f}-{gaps.max():.1f} s, longest cycle "
        f"{longest:.1f} s"
    )
    print(
        f"  outside: {hostiles.stats['alerts']} alert POSTs dripped to, "
        f"{hostiles.stats['status']} status-page fetches, {hostiles.stats['smtp']} SMTP "
        f"connections never greeted; deliveries by state: {deliveries.split() or 'none'}"
    )
    print(
        f"  pages: {len(latencies)} reads, p50 {np.percentile(latencies, 50):.0f} ms, "
        f"max {latencies.max():.0f} ms, {reader.failures} failed; logs: {logs}"
    )
    every = int(np.ceil(gaps.max() - 0.5))  # to the nearest second
    if every > 60:
        print(f"  DETECTION CYCLED SLOWER THAN EVERY 60 s: the longest gap was {gaps.max():.1f} s")
    found = f"{found_after / 60:.1f} min" if found_after is not None else "NOT (within the run)"
    print(
        f"isolation: detection cycles every <= {every} s, outage found in {found}, "
        f"pages p99 {p99:.0f} ms"
    )
    sys.exit(0 if every <= 60 and found_after is not None else 1)


if __name__ == "__main__":
    main()
