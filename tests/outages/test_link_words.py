"""Incident links are worded at display in the reader's language; links stored in English
before are read back into data by the migration (issue 29)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from outages.models import IncidentLink, LinkReason
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def link(reason: str, **fields) -> IncidentLink:
    a = IncidentFactory(service=ServiceFactory())
    b = IncidentFactory(service=ServiceFactory())
    return IncidentLink.objects.create(from_incident=a, to_incident=b, reason=reason, **fields)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "both OpenAI"), ("hi", "दोनों OpenAI के"), ("bn", "দুটিই OpenAI-এর")],
)
def test_a_link_reason_is_written_in_the_readers_language(language, expected):
    same = link(LinkReason.SAME_PARENT, params={"parent": "OpenAI"})

    with translation.override(language):
        assert same.detail_text() == expected


def test_the_migration_reads_old_english_words_back_into_params():
    old = [
        link(LinkReason.SAME_PARENT, detail="both Meta"),
        link(LinkReason.SHARED_PROVIDER, detail="aws, cloudflare"),
        link(LinkReason.CO_OCCURRENCE, detail="started 3 min apart"),
        link(LinkReason.OVERLAP, detail="started 1 h 05 min apart"),
    ]
    migration = importlib.import_module("outages.migrations.0002_outages_link_params")

    migration.words_to_params(apps, None)

    assert [IncidentLink.objects.get(pk=x.pk).params for x in old] == [
        {"parent": "Meta"},
        {"providers": ["aws", "cloudflare"]},
        {"minutes": 3},
        {"minutes": 65},
    ]
    with translation.override("hi"):
        assert IncidentLink.objects.get(pk=old[3].pk).detail_text() == (
            "1 घंटे 05 मिनट के अंतर पर शुरू हुए"
        )
