"""Counts and cursor are stored together; /readyz says when an enabled ingester is behind."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from detection.models import BaselineFit, DetectionCursor
from mentions.ingesting import database_tally
from mentions.models import IngestCursor, MentionCount, Source
from mentions.services import mentions_record, service_ids
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

MINUTE = 1_733_580_000 // 60


def test_counts_add_up_per_cell_and_the_cursor_moves_with_them():
    chatgpt = ServiceFactory(slug="chatgpt")
    ids = service_ids()
    for position in (10, 20):
        mentions_record(
            source=Source.BLUESKY,
            counts=Counter({("chatgpt", "", MINUTE): 2, ("gone", "", MINUTE): 5}),
            position=position,
            read_until=MINUTE * 60.0,
            services=ids,
        )
    row = MentionCount.objects.get()
    assert (row.service_id, row.count, row.country) == (chatgpt.id, 4, "")
    assert row.minute == datetime.fromtimestamp(MINUTE * 60, UTC)
    assert IngestCursor.objects.get(source=Source.BLUESKY).position == 20


def test_a_new_ingester_resumes_after_the_stored_cursor():
    ServiceFactory(slug="chatgpt")
    mentions_record(
        source=Source.BLUESKY, counts=Counter(), position=99, read_until=0.0, services={}
    )
    tally = database_tally(Source.BLUESKY, dedupe_span=10)
    tally.post("did/rkey", 99, MINUTE * 60.0, "is chatgpt down?", ())
    assert tally.stats.duplicates == 1
    assert tally.matcher.services == ["chatgpt"]


def test_an_ingester_without_its_source_configured_exits_at_once(settings, capsys):
    settings.JETSTREAM_URL = ""
    settings.MASTODON_STREAMING_URL = ""
    call_command("ingest_jetstream")
    call_command("ingest_mastodon")
    assert "not set" in capsys.readouterr().out


def ready_detection() -> None:
    now = timezone.now()
    DetectionCursor.objects.update_or_create(pk=1, defaults={"last_minute": now})
    BaselineFit.objects.create(fitted_at=now, series=[])


def cursor(*, written_ago: timedelta, read_ago: timedelta) -> None:
    now = timezone.now()
    IngestCursor.objects.update_or_create(
        source=Source.BLUESKY,
        defaults={"position": 1, "read_until": now - read_ago, "updated_at": now - written_ago},
    )


def test_readyz_ignores_ingesters_that_are_not_configured(client, settings):
    settings.JETSTREAM_URL = ""
    ready_detection()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["ingesters"] == []


def test_readyz_is_behind_while_an_enabled_ingester_has_never_written(client, settings):
    settings.JETSTREAM_URL = "ws://127.0.0.1:1/subscribe"
    ready_detection()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["ingesters"][0]["behind"] is True


def test_readyz_is_ok_while_the_ingester_writes_and_reads_recent_posts(client, settings):
    settings.JETSTREAM_URL = "ws://127.0.0.1:1/subscribe"
    ready_detection()
    cursor(written_ago=timedelta(seconds=5), read_ago=timedelta(seconds=8))
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "written_ago, read_ago",
    [(timedelta(minutes=3), timedelta(minutes=3)), (timedelta(0), timedelta(minutes=11))],
    ids=["silent", "replaying-a-backlog"],
)
def test_readyz_is_behind_when_the_ingester_is_silent_or_lagging(
    client, settings, written_ago, read_ago
):
    settings.JETSTREAM_URL = "ws://127.0.0.1:1/subscribe"
    ready_detection()
    cursor(written_ago=written_ago, read_ago=read_ago)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "behind"


def test_a_restarted_mastodon_ingester_still_counts_a_status_with_a_lower_id():
    ServiceFactory(slug="chatgpt")
    mentions_record(
        source=Source.MASTODON, counts=Counter(), position=500, read_until=0.0, services={}
    )
    tally = database_tally(Source.MASTODON, dedupe_span=10, resume=False)
    tally.post("server/400", 400, MINUTE * 60.0, "is chatgpt down?", ())
    assert tally.stats.matched == 1


def test_a_region_subtag_that_is_no_country_is_stored_as_unknown():
    ServiceFactory(slug="chatgpt")
    mentions_record(
        source=Source.BLUESKY,
        counts=Counter({("chatgpt", "XX", MINUTE): 1}),
        position=1,
        read_until=MINUTE * 60.0,
        services=service_ids(),
    )
    assert MentionCount.objects.get().country == ""
