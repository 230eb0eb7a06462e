"""The deploy files a new operator follows: docker-compose.yml (checked by parsing it, as no
container engine runs here; .ci/run adds `docker compose config` where it can), the
Dockerfile, the lock files, .env.example, and how settings reach every connection."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = (
    "init",
    "web",
    "detector",
    "worker",
    "outbound",
    "beat",
    "ingest-jetstream",
    "ingest-mastodon",
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_proxy_the_app_its_one_shot_init_and_the_servers(compose):
    assert set(compose["services"]) == {*APP_SERVICES, "proxy", "postgres", "redis"}


def test_every_app_container_reads_the_env_file_and_trusts_exactly_the_one_proxy(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env", name
        assert service["environment"]["NUM_PROXIES"] == "1", name


def test_init_migrates_and_loads_the_catalogue_and_the_others_wait_for_it(compose):
    init = compose["services"]["init"]
    assert "migrate" in init["command"] and "load_catalogue" in init["command"]
    assert init["restart"] == "no"
    for name in ("web", "detector", "worker", "outbound", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["init"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in str(compose["services"][name].get("command", ""))


def test_detection_has_a_worker_of_its_own_that_nothing_outbound_shares(compose):
    from config.celery import app

    queues = {
        name: re.search(r"-Q (\S+)", compose["services"][name]["command"]).group(1).split(",")
        for name in ("detector", "worker", "outbound")
    }
    assert queues["detector"] == ["detection"]
    assert "detection" not in queues["worker"] + queues["outbound"]
    route = app.amqp.router.route
    assert route({}, "detection.tasks.detect_spikes")["queue"].name == "detection"
    # Webhooks on `outbound`, vendors' status pages on a queue of their own (`official`):
    # both consumed by the outbound worker, never by the detector.
    expected = {
        "alerts.tasks.deliver_due": "outbound",
        "official.tasks.poll_official_pages": "official",
    }
    for task, queue in expected.items():
        assert route({}, task)["queue"].name == queue, task
        assert queue in queues["outbound"], task


def test_the_proxy_serves_the_repository_config_in_front_of_web(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert any("deploy/nginx.conf.template" in volume for volume in proxy["volumes"])
    assert "web:8000" in proxy["environment"]["APP_SERVERS"]
    assert "ports" not in compose["services"]["web"]  # only the proxy is published


def test_redis_requires_the_password_the_app_connects_with(compose):
    assert "--requirepass" in compose["services"]["redis"]["command"]
    assert "REDIS_PASSWORD" in compose["services"]["web"]["environment"]["REDIS_URL"]


def test_images_are_pinned_to_a_release():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    for image in re.findall(r"image:\s*(\S+)", compose_text):
        if image != "opendown:latest":  # built here
            assert re.search(r":\d+\.\d+", image), image


def test_nginx_sets_x_forwarded_for_once_and_caches_what_the_app_marks_public():
    config = (ROOT / "deploy/nginx.conf.template").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config
    assert "proxy_cache_path" in config and "proxy_cache_use_stale" in config
    assert "proxy_cache_bypass $cookie_sessionid $cookie_messages;" in config


def test_dockerfile_is_multi_stage_pinned_non_root_with_healthcheck_and_cmd():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"ARG PYTHON_IMAGE=python:\d+\.\d+\.\d+-slim-\w+", dockerfile)
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    assert re.search(r"^USER app$", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK ", dockerfile, re.M)
    assert re.search(r"^CMD \[", dockerfile, re.M)
    assert "pip install -r requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile


def test_the_lock_files_pin_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, requirements in (
        ("requirements.lock", project["dependencies"]),
        (
            "requirements-dev.lock",
            project["dependencies"] + project["optional-dependencies"]["dev"],
        ),
    ):
        pinned = {
            line.split("==")[0].lower().replace("_", "-")
            for line in (ROOT / lock).read_text().splitlines()
            if "==" in line and not line.startswith("#")
        }
        for requirement in requirements:
            name = re.split(r"[<>=\[ ;]", requirement)[0].lower().replace("_", "-")
            assert name in pinned, (lock, name)


def test_env_example_lists_every_setting_the_code_reads():
    settings_source = (ROOT / "config/settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, re.M))
    assert read and read <= listed, read - listed


def test_license_is_the_mit_license_pyproject_names():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {
        "text": "MIT"
    }


def settings_under(env: dict[str, str], expression: str) -> object:
    """Evaluate `expression` in a fresh process whose settings read `env`."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"from reports import intake; print(json.dumps({expression}, default=str))"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "test-only",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_database_url_options_survive_the_pool_and_reach_the_intakes_connection():
    url = "postgres://u:p@db.example:5432/od?sslmode=require&application_name=opendown"
    options, conninfo = settings_under(
        {"DATABASE_URL": url},
        '[settings.DATABASES["default"]["OPTIONS"], intake._conninfo()]',
    )
    assert options["sslmode"] == "require" and options["pool"]["max_size"] == 8
    assert "sslmode=require" in conninfo and "application_name=opendown" in conninfo
    assert "host=db.example" in conninfo and "pool" not in conninfo


def test_behind_pgbouncer_no_connection_prepares_statements():
    database, threshold = settings_under(
        {"DATABASE_URL": "postgres://u:p@pgbouncer:6432/od", "DB_PGBOUNCER": "1"},
        '[settings.DATABASES["default"], intake._prepare_threshold()]',
    )
    assert database["OPTIONS"]["prepare_threshold"] is None and threshold is None
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_a_redis_password_in_the_url_reaches_the_cache_and_the_broker():
    caches, broker = settings_under(
        {"REDIS_URL": "redis://:s3cret@redis:6379/0"},
        '[settings.CACHES["default"]["LOCATION"], settings.CELERY_BROKER_URL]',
    )
    assert caches == broker == "redis://:s3cret@redis:6379/0"


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed here")
def test_the_nginx_template_is_a_valid_config(tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.proxy import render_nginx_config

    config = render_nginx_config(tmp_path, listen=8599, app_servers=["127.0.0.1:8598"])
    out = subprocess.run(
        ["nginx", "-t", "-q", "-c", str(config), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
