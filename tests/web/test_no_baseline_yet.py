"""A fresh install: until a service's own reports can teach a baseline, no band is drawn, no
"typical" number is shown and the API gives none (issue 29)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from detection import services as detection
from detection.selectors import baseline_learnt
from tests.factories import ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = pytest.mark.django_db


def fresh_install_with_one_report():
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])
    now = timezone.now().replace(second=0, microsecond=0)
    store_minute_counts(chatgpt, now - timedelta(minutes=5), np.array([1]))
    detection.refresh_baselines(now)
    detection.detect_spikes(timezone.now())
    return chatgpt


def test_one_report_on_a_fresh_install_is_no_baseline(client, api_client):
    chatgpt = fresh_install_with_one_report()

    assert baseline_learnt(chatgpt.pk, "") is False
    series = api_client.get("/api/v1/services/chatgpt/reports/?hours=24&bucket=15m").json()
    assert {p["baseline"] for p in series} == {None}
    assert {p["threshold"] for p in series} == {None}
    detail = api_client.get("/api/v1/services/chatgpt/").json()
    assert detail["baseline"] is None
    page = client.get("/status/chatgpt/").content.decode()
    assert 'data-testid="baseline-now"' not in page
    assert 'data-field="no-baseline" hidden' not in page


def test_a_day_of_reports_teaches_a_baseline(client):
    slack = ServiceFactory(slug="slack", name="Slack", problems=["login"])
    now = timezone.now().replace(second=0, microsecond=0)
    history = 2 * 24 * 60
    store_minute_counts(
        slack, now - timedelta(minutes=history), np.random.default_rng(3).poisson(1.0, history)
    )
    detection.refresh_baselines(now)

    assert baseline_learnt(slack.pk, "") is True
    page = client.get("/status/slack/").content.decode()
    assert 'data-field="no-baseline" hidden' in page


def test_a_day_with_too_few_reports_is_not_yet_a_baseline():
    quiet = ServiceFactory(slug="quiet", name="Quiet", problems=["login"])
    now = timezone.now().replace(second=0, microsecond=0)
    counts = np.zeros(2 * 24 * 60, dtype=int)
    counts[::200] = 1  # 15 reports over two days: less than the prior is worth
    store_minute_counts(quiet, now - timedelta(minutes=len(counts)), counts)
    detection.refresh_baselines(now)

    assert baseline_learnt(quiet.pk, "") is False
