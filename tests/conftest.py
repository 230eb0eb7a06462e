from __future__ import annotations

import os
import time

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

# On PostgreSQL + Redis (CI's production-shaped pass) nothing may be skipped: a PostgreSQL- or
# Redis-only test that silently skipped there would leave the production path untested.
PRODUCTION_PASS = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_sessionfinish(session, exitstatus) -> None:  # type: ignore[no-untyped-def]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if PRODUCTION_PASS and skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(f"{skipped} tests skipped on the PostgreSQL pass: failing it.")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache: each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def one_rate_window():
    """The rate limits count fixed windows (a minute in these tests): a run of requests that
    crossed a minute's end would start a fresh budget halfway, a 201 among the expected 429s.
    Time stands still in the middle of the current minute (``_fresh_cache`` has already
    cleared the counters)."""
    with time_machine.travel(time.time() // 60 * 60 + 30, tick=False):
        yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
