"""bin/serve keeps every part running: one that dies (a SIGKILLed Celery worker) is started
again, and never takes the web server down with it (issue 25: `wait -n` stopped uvicorn)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_sigkilled_worker_is_started_again_while_the_web_server_keeps_answering(tmp_path):
    port, pids = free_port(), tmp_path / "worker.pids"
    # bin/serve's shape, with stand-ins: a web server and a "worker" that logs its pid.
    script = f"""
        source bin/keep-running
        pids=()
        stop() {{ kill -TERM "${{pids[@]}}" 2>/dev/null || true; wait || true; }}
        trap stop EXIT INT TERM
        keep_running web python3 -m http.server {port} --bind 127.0.0.1 & pids+=($!)
        keep_running worker bash -c 'echo $$ >> {pids}; exec sleep 300' & pids+=($!)
        wait || true
    """
    serve = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        assert wait_for(lambda: answers(port) and len(pids_in(pids)) == 1)
        os.kill(pids_in(pids)[0], signal.SIGKILL)

        assert wait_for(lambda: len(pids_in(pids)) == 2)  # started again
        assert answers(port)  # and the web server never stopped
        assert serve.poll() is None
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
    # SIGTERM stopped every part, not only the supervisor.
    assert wait_for(lambda: not answers(port), 5)
    for pid in pids_in(pids):
        assert wait_for(lambda pid=pid: not os.path.exists(f"/proc/{pid}"), 5)


def test_bin_serve_runs_every_part_under_keep_running_and_never_waits_for_the_first_exit():
    serve = (ROOT / "bin/serve").read_text()
    statements = serve.replace("\\\n", " ").splitlines()
    # The ingesters start only when their source is configured: `[ -z "$URL" ] || { ... }`.
    started = [
        re.sub(r"^\[.*?\] \|\| \{ ", "", line).split()[0]
        for line in statements
        if re.search(r"& pids\+=", line)
    ]
    assert "wait -n" not in serve
    assert started and set(started) == {"keep_running"}
    assert len(started) == 7  # detector, worker, outbound, beat, two ingesters, web
    assert "-Q detection" in serve
