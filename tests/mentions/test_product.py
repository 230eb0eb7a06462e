"""Mentions in the product: the detector scores them against their own baseline, a spike of
posts without reports is "possible" at most, every service in the API has a mentions object,
incidents say how many posts were seen, the service page shows reports beside posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine

from common.buckets import epoch_minute, from_epoch_minute
from detection.mentions import HISTORY_DAYS, score_mentions
from mentions.models import MentionCount, MentionStatus, Source
from outages.models import Level
from tests.factories import IncidentFactory, ServiceFactory, StatusFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)


def mentions(service, *, spike_posts_per_minute: int) -> None:
    """Two weeks of a quiet background (about 3 posts an hour, Poisson), then the last 20
    minutes at `spike_posts_per_minute`."""
    rng = np.random.default_rng(3)
    last = epoch_minute(NOW) - 1
    first = last - HISTORY_DAYS * 1440 + 1
    background = rng.poisson(0.05, last - first + 1)
    rows = []
    for offset, count in enumerate(background):
        minute = first + offset
        if minute > last - 20:
            count = spike_posts_per_minute
        if count:
            rows.append(
                MentionCount(
                    service=service,
                    source=Source.BLUESKY,
                    country="",
                    minute=from_epoch_minute(minute),
                    count=int(count),
                )
            )
    MentionCount.objects.bulk_create(rows)


def test_nothing_is_scored_before_any_mention_is_stored():
    ServiceFactory()
    assert score_mentions(NOW) == 0
    assert not MentionStatus.objects.exists()


def test_a_spike_of_posts_without_reports_is_possible_at_most():
    service = ServiceFactory(slug="chatgpt")
    mentions(service, spike_posts_per_minute=6)
    assert score_mentions(NOW) == 1
    status = MentionStatus.objects.get(service=service)
    assert status.level == Level.POSSIBLE
    assert status.posts_15m == 90
    assert status.expected_15m < 3


def test_the_same_spike_beside_reported_problems_can_say_outage():
    service = ServiceFactory(slug="chatgpt")
    StatusFactory(service=service, level=Level.OUTAGE, updated_at=NOW)
    mentions(service, spike_posts_per_minute=6)
    score_mentions(NOW)
    assert MentionStatus.objects.get(service=service).level == Level.OUTAGE


def test_quiet_posts_are_ok_and_a_rerun_gives_the_same_row():
    service = ServiceFactory(slug="chatgpt")
    mentions(service, spike_posts_per_minute=0)
    score_mentions(NOW)
    first = MentionStatus.objects.values("level", "score", "posts_15m").get()
    score_mentions(NOW)
    assert MentionStatus.objects.values("level", "score", "posts_15m").get() == first
    assert first["level"] == Level.OK


def test_every_service_in_the_api_has_a_mentions_object(client):
    quiet = ServiceFactory(slug="quiet")
    loud = ServiceFactory(slug="loud")
    with time_machine.travel(NOW, tick=False):
        MentionCount.objects.create(
            service=loud,
            source=Source.BLUESKY,
            minute=NOW.replace(second=0) - timedelta(minutes=5),
            count=7,
        )
        listed = {
            item["slug"]: item["mentions"]
            for item in client.get("/api/v1/services/").json()["results"]
        }
        detail = client.get(f"/api/v1/services/{loud.slug}/").json()
    assert listed[quiet.slug] == {
        "state": "ok",
        "posts_last_15m": 0,
        "posts_last_hour": 0,
        "expected_15m": None,
        "scored_at": None,
    }
    assert listed[loud.slug]["posts_last_15m"] == 7
    assert detail["mentions"]["posts_last_hour"] == 7


def test_an_incident_says_how_many_posts_were_seen_while_it_lasted(client):
    service = ServiceFactory(slug="chatgpt")
    started = NOW - timedelta(minutes=30)
    incident = IncidentFactory(service=service, started_at=started, peak_at=started)
    for minutes_ago, count in ((40, 5), (20, 3), (10, 4)):  # the first is before the start
        MentionCount.objects.create(
            service=service,
            source=Source.BLUESKY,
            minute=NOW.replace(second=0) - timedelta(minutes=minutes_ago),
            count=count,
        )
    with time_machine.travel(NOW, tick=False):
        api = client.get("/api/v1/incidents/").json()
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert api["results"][0]["mention_posts"] == 7
    assert "Also seen in 7 posts" in page


def test_the_service_page_shows_reports_beside_posts(client):
    service = ServiceFactory(slug="chatgpt")
    MentionCount.objects.create(
        service=service,
        source=Source.BLUESKY,
        minute=NOW.replace(second=0) - timedelta(minutes=2),
        count=4,
    )
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/status/{service.slug}/").content.decode()
    assert 'data-testid="mentions"' in page
    assert "4 public posts said Chatgpt is down in the last hour" in page


@pytest.mark.parametrize(
    "language, heading, sentence",
    [
        ("hi", "रिपोर्टें और डाउन बताने वाली पोस्टें", "पिछले एक घंटे में 4 सार्वजनिक पोस्टों ने"),
        ("bn", "রিপোর্ট এবং ডাউন বলা পোস্ট", "গত এক ঘণ্টায় 4টি পাবলিক পোস্টে"),
    ],
)
def test_the_mentions_panel_is_translated(client, language, heading, sentence):
    service = ServiceFactory(slug="chatgpt")
    MentionCount.objects.create(
        service=service,
        source=Source.BLUESKY,
        minute=NOW.replace(second=0) - timedelta(minutes=2),
        count=4,
    )
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/{language}/status/{service.slug}/").content.decode()
    assert heading in page
    assert sentence in page
