"""The incident page: its curve, its problem mix over time and the related services."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import IncidentLink, Level, LinkReason
from tests.factories import IncidentFactory, ReportCountFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    chatgpt = ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])
    start = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    login, website = (chatgpt.problem_types.get(slug=s) for s in ("login", "website"))
    for minutes in range(0, 120, 5):
        ReportCountFactory(service=chatgpt, problem_type=login, count=30,
                           minute=start + timedelta(minutes=minutes))  # fmt: skip
    ReportCountFactory(service=chatgpt, problem_type=website, count=50,
                       minute=start + timedelta(minutes=90))  # fmt: skip
    return IncidentFactory(
        service=chatgpt,
        started_at=start,
        peak_at=start + timedelta(minutes=30),
        ended_at=start + timedelta(hours=2),
        peak_reports=90,
        severity=Level.OUTAGE,
    )


def test_incident_page_shows_start_end_duration_peak_and_severity(client, incident):
    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert "Problems at ChatGPT" in page
    assert f"{incident.started_at:%Y-%m-%d %H:%M} UTC" in page
    assert "2 h 00 min" in page
    assert 'data-testid="peak">90<' in page


def test_incident_curve_covers_three_hours_either_side_in_15_minute_buckets(client, incident):
    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    chart = json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    starts = [p[0] for p in chart["points"]]
    assert starts[0] == int((incident.started_at - timedelta(hours=3)).timestamp())
    assert len(starts) == (2 + 6) * 4 + 1
    assert sum(p[1] for p in chart["points"]) == 24 * 30 + 50
    assert chart["incidents"] == [
        [int(incident.started_at.timestamp()), int(incident.ended_at.timestamp())]
    ]


def test_problem_mix_over_time_is_drawn_and_tabulated(client, incident):
    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    mix = page[page.index('id="mix-title"') :]
    assert re.search(r'<rect class="mix-0"', mix)
    header = re.search(r"<thead>(.*?)</thead>", mix, re.S).group(1)
    assert header.index("Login") < header.index("Website")


def test_related_services_are_listed_with_the_reason(client, incident):
    other = IncidentFactory(
        service=ServiceFactory(slug="sora", name="Sora"), started_at=incident.started_at
    )
    IncidentLink.objects.create(
        from_incident=incident, to_incident=other, reason=LinkReason.SAME_PARENT, detail="OpenAI"
    )

    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    related = re.search(r'data-testid="related">(.*?)</ul>', page, re.S).group(1)
    assert f'href="/incidents/{other.pk}/">Sora' in related
    assert "Same parent company" in related


def test_unknown_incident_is_404(client):
    assert client.get("/incidents/999999/").status_code == 404
