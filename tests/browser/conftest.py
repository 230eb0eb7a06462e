"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
import traceback
from datetime import timedelta

import greenlet
import numpy as np
import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from detection import services as detection
from tests.factories import ServiceFactory
from tests.helpers import store_minute_counts

# Playwright's sync API runs an event loop in this thread; Django's ORM, used by the fixtures
# below, refuses to run inside one unless told that this is safe (it is: one thread, no awaits).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _static_files_through_whitenoise():
    """Serve static files as production does: WhiteNoise, from collectstatic's manifest.

    pytest-django's live server otherwise answers /static/ itself through the finders, which
    know nothing of the hashed names ({% static %} emits with the manifest storage): 404s.
    """
    from django.contrib.staticfiles import handlers

    class PassThrough(handlers.StaticFilesHandler):
        def _should_handle(self, path: str) -> bool:
            return False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handlers, "StaticFilesHandler", PassThrough)
        yield


# A browser test that is still running after this long is stuck, not slow (each takes seconds).
WATCHDOG_SECONDS = float(os.environ.get("BROWSER_TEST_WATCHDOG_SECONDS", "120"))


@pytest.fixture(autouse=True)
def _say_where_a_stuck_test_waits(request):
    """Prints where a stuck browser test waits, while it waits.

    Once, on CI, the suite hung between two tests until CI's time ran out, with nothing
    printed. Playwright's sync API suspends the test's greenlet while its event loop waits for
    the browser, so a call that never returns (a context that never closes) shows no test frame
    in a plain thread dump (pytest's faulthandler_timeout): this prints the suspended greenlets'
    stacks, past pytest's capture, so the next hang names the call. Set up first, torn down
    last: it covers the fixtures' teardown (the pages' contexts closing) too.
    """
    done = threading.Event()
    started = time.monotonic()

    def watch() -> None:
        if done.wait(WATCHDOG_SECONDS):
            return
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            out = sys.stderr
            print(
                f"\n!!! {request.node.nodeid} still running after"
                f" {time.monotonic() - started:.0f} s; where its greenlets wait:",
                file=out,
            )
            for stack in (
                o for o in gc.get_objects() if isinstance(o, greenlet.greenlet) and o.gr_frame
            ):
                traceback.print_stack(stack.gr_frame, limit=25, file=out)
                print("---", file=out)
            out.flush()

    threading.Thread(target=watch, name="browser-test-watchdog", daemon=True).start()
    yield
    done.set()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        # `make test-browser` was asked for explicitly: a missing browser is a failure.
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, transactional_db):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    # A test may end on a click that navigates: let that page load before its context closes
    # (closing a context mid-navigation is a path no user takes; the one hang seen on CI came
    # right after such a test).
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state(timeout=10_000)
    context.close()
    assert errors == [], errors


@pytest.fixture
def outage(transactional_db):
    """ChatGPT with two quiet weeks, a fitted baseline, and an outage in the last 40 minutes."""
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])
    ServiceFactory(slug="gmail", name="Gmail", category="email")
    now = timezone.now().replace(second=0, microsecond=0)
    history = 14 * 24 * 60
    rng = np.random.default_rng(11)
    counts = rng.poisson(2.0, size=history)
    counts[-40:] += rng.poisson(60, size=40)
    store_minute_counts(chatgpt, now - timedelta(minutes=history - 1), counts)
    detection.refresh_baselines(now - timedelta(minutes=45))
    detection.detect_spikes(timezone.now())
    return chatgpt


@pytest.fixture
def quiet(transactional_db):
    """Slack with two quiet weeks and a fitted baseline: nothing unusual now."""
    slack = ServiceFactory(slug="slack", name="Slack", problems=["login", "messaging"])
    now = timezone.now().replace(second=0, microsecond=0)
    history = 14 * 24 * 60
    counts = np.random.default_rng(12).poisson(2.0, size=history)
    store_minute_counts(slack, now - timedelta(minutes=history - 1), counts)
    detection.refresh_baselines(now - timedelta(minutes=45))
    return slack


def axe_violations(page, exclude: list[str] | None = None) -> list[dict]:
    """Runs the vendored axe-core (static/vendor/axe-core, no download) with WCAG 2.1 A/AA rules
    on the page as it is, and returns its violations (id, impact, nodes' selectors)."""
    from pathlib import Path

    page.add_script_tag(
        path=str(Path(__file__).resolve().parents[2] / "web/static/vendor/axe-core/axe.min.js")
    )
    return page.evaluate(
        """async (exclude) => {
          const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
          const result = await axe.run(context, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
          });
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
          }));
        }""",
        exclude or [],
    )
