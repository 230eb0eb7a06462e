"""Exactly one Celery beat sends the schedule, however many are started (RedBeat's lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the beat lock lives in Redis; without it beat is in-process"
)

ROOT = Path(__file__).resolve().parent.parent


def start_beat(log: Path) -> subprocess.Popen:
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-not-secret")}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=info"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(log: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text():
            return True
        time.sleep(0.2)
    return False


def test_a_second_beat_waits_for_the_first_and_takes_over_when_it_stops(tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_beat(first_log)
    second = None
    try:
        assert wait_for(first_log, "beat: Acquired lock", 30), first_log.read_text()
        second = start_beat(second_log)
        assert wait_for(second_log, "beat: Starting", 30), second_log.read_text()

        # Several of the lock holder's loops (5 s each): the second never gets the lock.
        assert not wait_for(second_log, "beat: Acquired lock", 12), second_log.read_text()

        first.send_signal(signal.SIGTERM)  # a clean stop releases the lock
        first.wait(timeout=20)
        assert wait_for(second_log, "beat: Acquired lock", 20), second_log.read_text()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


def test_a_beat_whose_redis_forgot_everything_takes_its_lock_again_and_goes_on(tmp_path):
    import redis

    log = tmp_path / "beat.log"
    beat = start_beat(log)
    try:
        assert wait_for(log, "beat: Acquired lock", 30), log.read_text()

        redis.Redis.from_url(settings.REDIS_URL).flushdb()  # as a restart without persistence

        assert wait_for(log, "lock lost (Redis restarted?) and taken again", 20), log.read_text()
        assert beat.poll() is None
    finally:
        beat.terminate()
        beat.wait(timeout=20)
