"""The app refuses to start in production with a secret copied from .env.example (issue 29)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DEBUG": "0", "SECRET_KEY": "a-real-random-value-0123456789", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SECRET_KEY": "change-me-to-50-random-characters"}, "SECRET_KEY"),
        ({"DATABASE_URL": "postgres://opendown:change-me@db:5432/opendown"}, "POSTGRES_PASSWORD"),
        ({"REDIS_URL": "redis://:change-me-too@redis:6379/0"}, "REDIS_PASSWORD"),
    ],
)
def test_production_refuses_a_placeholder_secret_and_names_the_setting(env, named):
    result = start(**env)

    assert result.returncode != 0
    assert named in result.stderr
    assert "placeholder from .env.example" in result.stderr


def test_development_accepts_the_example_secret():
    assert start(DEBUG="1", SECRET_KEY="change-me-to-50-random-characters").returncode == 0
