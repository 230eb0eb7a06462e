"""Intake throughput under a report storm, against a plain Django reference, in one run.

Starts the production shape (bin/serve: uvicorn workers + Celery worker and beat) on a fresh
PostgreSQL database, drives POST /api/v1/reports/ with wrk (pinned to one core) where every
request is a new reporter, then the reference view (plain Django, one ORM create() per
request) under the same server and worker count, and finally checks that every 2xx answer
left exactly one row in PostgreSQL. In between, reads under write load: intake held at 80% of
the ceiling just measured while status reads (the service list and each service's detail) run
at 200 requests/s; their p99 is printed. Then pages under write load: intake again at 80% while
the ChatGPT service page is read at 500/s, once through the repository's nginx config
(deploy/nginx.conf.template, started here) and once straight at the app server. Last line:
    ingest: 2350 accepted/s, 4.1x reference, p99 38 ms, 0 lost
Environment: DATABASE_URL's server (database opendown_bench is recreated), REDIS_URL,
BENCH_SECONDS (60), BENCH_REFERENCE_SECONDS (20), BENCH_READS_SECONDS (30),
BENCH_CONNECTIONS (64), WEB_WORKERS (2), BENCH_PAGES_SECONDS (20), BENCH_PORT (8765; the
proxy listens on the next port).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.proxy import Nginx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
PROXY_PORT = PORT + 1
# The page rate the storm goal names (issue 13): 500 ChatGPT page views a second.
PAGE_READS_PER_S = 500.0


# BENCH_DB: another name lets two benchmarks share one PostgreSQL server.
BENCH_DB = os.environ.get("BENCH_DB", "opendown_bench")


def database_url() -> str:
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opendown"))
    return urlunsplit(base._replace(path=f"/{BENCH_DB}"))


def run(*args: str, env: dict | None = None) -> str:
    return subprocess.run(
        args, check=True, capture_output=True, text=True, env=env, cwd=ROOT
    ).stdout


def fresh_database(env: dict) -> None:
    url = urlsplit(env["DATABASE_URL"])
    admin = urlunsplit(url._replace(path="/postgres"))
    run("psql", admin, "-qc", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    run("psql", admin, "-qc", f"CREATE DATABASE {BENCH_DB}")
    run(PYTHON, "manage.py", "migrate", "--noinput", env=env)
    run(
        PYTHON,
        "manage.py",
        "shell",
        "-c",
        "from outages.services import catalogue_load; catalogue_load()",
        env=env,
    )


def bodies(env: dict) -> str:
    script = (
        "import json\n"
        "from outages.models import Service\n"
        "for s in Service.objects.filter(parent__isnull=False).prefetch_related('problem_types'):\n"
        "    for p in s.problem_types.all()[:2]:\n"
        "        for c in ('IN', 'US', 'BD'):\n"
        "            print(json.dumps({'service': s.slug, 'problem': p.slug, 'country': c}))\n"
    )
    out = run(PYTHON, "manage.py", "shell", "-c", script, env=env)
    # `shell` may print a banner line first; keep the JSON bodies only.
    return "\n".join(line for line in out.splitlines() if line.startswith("{"))


def wait_until_up(timeout: float | None = None) -> None:
    # bin/serve migrates, loads the catalogue and collects static files first: on a loaded
    # machine (bench-smoke beside other jobs) that alone can take minutes.
    timeout = timeout or float(os.environ.get("BENCH_UP_SECONDS", "60"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up")


def wrk_start(
    path: str,
    seconds: int,
    env: dict,
    *,
    connections: int | None = None,
    delay_ms: float | None = None,
    extra_env: dict | None = None,
    port: int | None = None,
) -> subprocess.Popen:
    """Start wrk on `path` (pinned to the last core), each connection waiting `delay_ms`
    between its requests if given, else flat out. Returns the running process; wrk_result()
    reads its figures."""
    connections = connections or int(os.environ.get("BENCH_CONNECTIONS", "64"))
    env = {**env, **(extra_env or {})}
    if delay_ms is not None:
        env["BENCH_DELAY_MS"] = f"{delay_ms:.3f}"
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(ROOT / "bench" / "ingest.lua"),
        f"http://127.0.0.1:{port or PORT}{path}",
    ]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(os.cpu_count() - 1), *command]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


def wrk_result(process: subprocess.Popen, seconds: int) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"wrk failed ({process.returncode})")
    statuses = {int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    p50, p99 = (int(x) for x in re.search(r"^LATENCY (\d+) (\d+)$", out, re.M).groups())
    errors = [int(x) for x in re.search(r"^ERRORS (\d+) (\d+) (\d+) (\d+)$", out, re.M).groups()]
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {
        "ok": ok,
        "rate": ok / seconds,
        "requests_per_s": sum(statuses.values()) / seconds,
        "statuses": statuses,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "socket_errors": errors,
        "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
    }


def wrk(path: str, seconds: int, env: dict, **options) -> dict:  # type: ignore[no-untyped-def]
    return wrk_result(wrk_start(path, seconds, env, **options), seconds)


def reads_under_load(env: dict, ceiling: float, seconds: int) -> tuple[dict, dict, int]:
    """Intake held at 80% of its measured ceiling while readers GET the status list and
    every service's detail at 200 requests/s. Returns both runs' figures and how many reports
    were accepted in all (the pacing probes included)."""
    slugs = [json.loads(line)["service"] for line in env["BENCH_BODIES"].splitlines()]
    paths = ["/api/v1/services/"] + [f"/api/v1/services/{s}/" for s in dict.fromkeys(slugs)]
    reads = {
        "path": "/api/v1/services/",
        "connections": 8,
        "target": 200.0,
        "extra_env": {"BENCH_PATHS": "\n".join(paths)},
    }
    return paced_under_load(env, ceiling, seconds, reads)


def page_reads_under_load(
    env: dict, ceiling: float, seconds: int, port: int
) -> tuple[dict, dict, int]:
    """Intake held at 80% of its ceiling (straight at the app) while the ChatGPT service page
    is read at 500/s on `port` (the proxy's or the app's)."""
    reads = {
        "path": "/status/chatgpt/",
        "connections": 16,
        "target": PAGE_READS_PER_S,
        "port": port,
        "extra_env": {"BENCH_PATHS": "/status/chatgpt/"},
    }
    return paced_under_load(env, ceiling, seconds, reads)


def paced_under_load(
    env: dict, ceiling: float, seconds: int, reads: dict
) -> tuple[dict, dict, int]:
    streams = {
        "intake": {"path": "/api/v1/reports/", "connections": 64, "target": 0.8 * ceiling},
        "reads": reads,
    }
    # wrk paces by waiting between a connection's requests; the answers' own latency under
    # this load is unknown until measured, so three short probes tune each wait.
    delay = {name: st["connections"] * 1000 / st["target"] for name, st in streams.items()}
    accepted = 0
    for probe_seconds in (4, 4, 4, seconds):
        running = {
            name: wrk_start(
                st["path"],
                probe_seconds,
                env,
                connections=st["connections"],
                delay_ms=delay[name],
                extra_env=st.get("extra_env"),
                port=st.get("port"),
            )
            for name, st in streams.items()
        }
        results = {name: wrk_result(run_, probe_seconds) for name, run_ in running.items()}
        accepted += results["intake"]["ok"]
        for name, st in streams.items():
            achieved = max(results[name]["requests_per_s"], 1.0)
            print(
                f"  pacing {name}: wait {delay[name]:.2f} ms per connection gave "
                f"{achieved:.0f}/s for a target of {st['target']:.0f}/s",
                file=sys.stderr,
            )
            latency = st["connections"] * 1000 / achieved - delay[name]
            delay[name] = max(0.0, st["connections"] * 1000 / st["target"] - latency)
    return results["intake"], results["reads"], accepted


@contextlib.contextmanager
def serving(command: list[str], env: dict) -> Iterator[None]:
    """Run a server in its own process group until the block ends."""
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2),
    ):
        raise SystemExit(f"port {PORT} is already serving: stop that server first")
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up()
        yield
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("the server ignored SIGTERM for 30 s: killed", file=sys.stderr)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def stored_reports(env: dict) -> int:
    return int(run("psql", env["DATABASE_URL"], "-tAc", "SELECT count(*) FROM reports_report"))


def bench_env(**overrides: str) -> dict:
    """The server's environment for a load test from one address: a fresh bench database,
    and off whatever would refuse one client (see docs/benchmarks.md, "For a load test")."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": "bench-only-not-secret",
        "PORT": str(PORT),
        # One load generator, one address: switch off what would refuse it (docs/benchmarks.md).
        "REPORT_RATE_LIMIT": "",
        "REPORT_NETWORK_RATE_LIMIT": "",
        "API_RATE_LIMIT": "",
        "REPORT_MAX_COUNTED_PER_ADDRESS": "0",
        "REPORT_MAX_COUNTED_PER_NETWORK": "0",
        # No Bluesky ingester: benches reach no network and measure the intake alone.
        "JETSTREAM_URL": "",
        # The site plus the reference view (bench/urls.py); the Celery worker, unlike uvicorn
        # and gunicorn, does not put the working directory on its path.
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "ERROR",
        **overrides,
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    seconds = int(os.environ.get("BENCH_SECONDS", "60"))
    reference_seconds = int(os.environ.get("BENCH_REFERENCE_SECONDS", "20"))
    mixed_seconds = int(os.environ.get("BENCH_READS_SECONDS", "30"))
    pages_seconds = int(os.environ.get("BENCH_PAGES_SECONDS", "20"))
    if not shutil.which("nginx"):
        raise SystemExit("nginx is needed for the proxy runs: apt-get install nginx-light")
    env = bench_env()
    fresh_database(env)
    env["BENCH_BODIES"] = bodies(env)
    with serving(["bash", "bin/serve"], env):
        warm = wrk("/api/v1/reports/", 3, env)
        reference_asgi = wrk("/bench/reference-report/", reference_seconds, env)
        intake = wrk("/api/v1/reports/", seconds, env)
        loaded, reads, loaded_accepted = reads_under_load(env, intake["rate"], mixed_seconds)
        proxy = Nginx(
            Path(tempfile.mkdtemp(prefix="opendown-nginx-")),
            listen=PROXY_PORT,
            app_servers=[f"127.0.0.1:{PORT}"],
        )
        try:
            proxy.wait_ready(host="127.0.0.1")
            pages_loaded, pages_proxy, accepted = page_reads_under_load(
                env, intake["rate"], pages_seconds, PROXY_PORT
            )
            loaded_accepted += accepted
        finally:
            proxy.stop()
        pages_loaded_direct, pages_direct, accepted = page_reads_under_load(
            env, intake["rate"], pages_seconds, PORT
        )
        loaded_accepted += accepted
    # The reference also gets its own best server: gunicorn's sync workers, same count.
    workers = os.environ.get("WEB_WORKERS", "2")
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    with serving([gunicorn, "config.wsgi", "-w", workers, "-b", f"127.0.0.1:{PORT}"], env):
        reference_wsgi = wrk("/bench/reference-report/", reference_seconds, env)
    # The ratio is against the faster of the two references.
    reference = max(reference_asgi, reference_wsgi, key=lambda r: r["rate"])
    expected = (
        warm["ok"] + reference_asgi["ok"] + reference_wsgi["ok"] + intake["ok"] + loaded_accepted
    )
    stored = stored_reports(env)
    lost = max(0, expected - stored)
    ratio = intake["rate"] / reference["rate"] if reference["rate"] else float("inf")
    runs = {"reference on uvicorn": reference_asgi, "reference on gunicorn sync": reference_wsgi}
    print(
        json.dumps(
            {
                **runs,
                "intake": intake,
                "intake at 80%": loaded,
                "reads under load": reads,
                "pages via proxy": pages_proxy,
                "pages straight at the app": pages_direct,
                "rows": stored,
                "acknowledged": expected,
            },
            indent=2,
        )
    )
    for name, run_ in runs.items():
        print(
            f"{name} ({workers} workers; plain Django view, one ORM create): "
            f"{run_['rate']:.0f}/s, p50 {run_['p50_ms']:.1f} ms, p99 {run_['p99_ms']:.1f} ms, "
            f"5xx {run_['5xx']}"
        )
    print(
        f"intake: {intake['rate']:.0f}/s for {seconds} s, p50 {intake['p50_ms']:.1f} ms, "
        f"p99 {intake['p99_ms']:.1f} ms, 4xx {intake['4xx']}, 5xx {intake['5xx']}, "
        f"rows {stored} for {expected} acknowledged"
    )
    print(
        f"reads under write load: intake {loaded['rate']:.0f}/s "
        f"({loaded['rate'] / intake['rate']:.0%} of its ceiling), status reads "
        f"{reads['requests_per_s']:.0f}/s, p50 {reads['p50_ms']:.1f} ms, "
        f"p99 {reads['p99_ms']:.1f} ms, non-2xx {sum(reads['statuses'].values()) - reads['ok']}"
    )
    print(
        f"page reads under write load: intake {pages_loaded['rate']:.0f}/s and "
        f"{pages_loaded_direct['rate']:.0f}/s "
        f"({pages_loaded['rate'] / intake['rate']:.0%}, "
        f"{pages_loaded_direct['rate'] / intake['rate']:.0%} of its ceiling); ChatGPT page "
        f"via proxy {pages_proxy['requests_per_s']:.0f}/s, p50 {pages_proxy['p50_ms']:.1f} ms, "
        f"p99 {pages_proxy['p99_ms']:.1f} ms; straight at the app "
        f"{pages_direct['requests_per_s']:.0f}/s, p50 {pages_direct['p50_ms']:.1f} ms, "
        f"p99 {pages_direct['p99_ms']:.1f} ms; non-2xx "
        f"{sum(pages_proxy['statuses'].values()) - pages_proxy['ok']}, "
        f"{sum(pages_direct['statuses'].values()) - pages_direct['ok']}"
    )
    print(
        f"ingest: {intake['rate']:.0f} accepted/s, {ratio:.1f}x reference, "
        f"p99 {intake['p99_ms']:.0f} ms, {lost} lost"
    )
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
