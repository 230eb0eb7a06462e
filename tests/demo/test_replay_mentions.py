"""`make run`'s recorded mentions: a spike of posts beside the live demo outage, quiet
elsewhere, scored by the detector."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from mentions.models import MentionStatus
from outages.models import Level
from outages.services import catalogue_load

pytestmark = pytest.mark.django_db


def test_the_demo_replays_a_mention_spike_on_the_live_outage_only(capsys):
    catalogue_load()
    call_command("replay_mentions")
    statuses = {
        status.service.slug: status for status in MentionStatus.objects.select_related("service")
    }
    assert statuses["chatgpt"].level != Level.OK
    assert statuses["chatgpt"].posts_15m > 20 * statuses["chatgpt"].expected_15m
    assert {slug for slug, status in statuses.items() if status.level != Level.OK} <= {
        "chatgpt",
        "openai",
        "openai-api",
    }
    assert "services scored" in capsys.readouterr().out
