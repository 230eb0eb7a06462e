"""The repository's nginx config (deploy/nginx.conf.template), run by the benchmarks
themselves: rendered with this machine's ports and a cache under the run's own directory."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def render_nginx_config(directory: Path, *, listen: int, app_servers: list[str]) -> Path:
    """A complete nginx.conf around the deploy template, everything under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    server = (
        TEMPLATE.read_text()
        .replace(
            "${APP_SERVERS}",
            " ".join(f"server {s} max_fails=1 fail_timeout=5s;" for s in app_servers),
        )
        .replace("${LISTEN}", f"127.0.0.1:{listen}")
        .replace("${CACHE_DIR}", str(directory / "cache"))
    )
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = directory / "nginx.conf"
    config.write_text(
        # As root, nginx's workers would otherwise drop to `nobody`, who cannot write here.
        ("user root;\n" if os.geteuid() == 0 else "")
        + "worker_processes 1;\n"
        + f"pid {directory / 'nginx.pid'};\n"
        + f"error_log {directory / 'error.log'} warn;\n"
        + "events { worker_connections 8192; }\n"
        + "http {\n    access_log off;\n"
        + temp
        + "\n"
        + server
        + "\n}\n"
    )
    return config


class Nginx:
    """nginx in the foreground of its own process group; stop() ends it."""

    def __init__(self, directory: Path, *, listen: int, app_servers: list[str]) -> None:
        self.config = render_nginx_config(directory, listen=listen, app_servers=app_servers)
        self.directory = directory
        self.listen = listen
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.config), "-p", str(directory), "-g", "daemon off;"],
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/healthz", host: str = "localhost") -> None:
        """Until nginx answers anything (an app still busy with a 503 means nginx is up)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.listen}{path}", headers={"Host": host}
                )
                with urllib.request.urlopen(request, timeout=5):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"nginx on {self.listen} did not answer {path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
