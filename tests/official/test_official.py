"""Official status pages: the poller against recorded documents, and acknowledgement lag."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from official import services
from official.catalogue import RECORDED_PAGES
from official.models import OfficialIncident, StatusPage
from official.selectors import Ack, acknowledgement, lag_ranking
from outages.models import Incident
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def load(server, *slugs: str) -> dict[str, StatusPage]:
    for slug in slugs:
        ServiceFactory(slug=slug, name=slug.title())
    services.catalogue_load(RECORDED_PAGES, base_url=server.url)
    return {page.name: page for page in StatusPage.objects.all()}


def test_poller_reads_a_statuspage_summary_and_its_incidents(status_server):
    openai = load(status_server, "chatgpt")["OpenAI"]

    assert services.poll_page(openai, now=NOW) == 1

    openai.refresh_from_db()
    assert (openai.indicator, openai.description) == ("none", "All Systems Operational")
    incident = OfficialIncident.objects.get(page=openai)
    assert incident.acknowledged_at == datetime(2024, 12, 12, 0, 15, tzinfo=UTC)
    assert incident.resolved_at == datetime(2024, 12, 12, 3, 12, tzinfo=UTC)
    assert incident.components == ["API", "ChatGPT", "Sora"]
    assert openai.next_poll_at == NOW + services.POLL_INTERVAL


def test_a_second_poll_is_conditional_and_an_unchanged_page_costs_a_304(status_server):
    openai = load(status_server, "chatgpt")["OpenAI"]
    services.poll_page(openai, now=NOW)
    status_server.requests.clear()

    services.poll_page(openai, now=NOW + timedelta(minutes=5))

    assert all(r["headers"].get("If-None-Match") for r in status_server.requests)
    assert all(r["headers"].get("If-Modified-Since") for r in status_server.requests)
    assert OfficialIncident.objects.count() == 1


def test_an_rss_feed_is_the_fallback_format(status_server):
    aws = load(status_server, "aws")["AWS"]

    services.poll_page(aws, now=NOW)

    incident = OfficialIncident.objects.get(page=aws)
    assert incident.name.endswith("[RESOLVED] Increased Error Rates and Latencies")
    assert incident.acknowledged_at == datetime(2025, 10, 20, 7, 11, tzinfo=UTC)
    aws.refresh_from_db()
    # A feed is a history: what it lists vouches for the time since its oldest item.
    assert aws.watched_since == incident.acknowledged_at


def test_an_unreachable_page_backs_off_exponentially(status_server):
    github = load(status_server, "github")["GitHub"]
    status_server.fail = True

    services.poll_page(github, now=NOW)
    services.poll_page(github, now=NOW)

    github.refresh_from_db()
    assert github.failures == 2
    assert github.next_poll_at == NOW + services.POLL_INTERVAL * 4
    assert "HTTP 503" in github.last_error


def test_a_malformed_document_is_a_failed_poll_not_a_crash(status_server):
    openai = load(status_server, "chatgpt")["OpenAI"]
    status_server.overrides["/openai/api/v2/incidents.json"] = b'{"incidents": "nope"'

    assert services.poll_page(openai, now=NOW) == 0

    openai.refresh_from_db()
    assert openai.failures == 1 and "not a Statuspage incident list" in openai.last_error


def test_poll_due_polls_only_pages_whose_time_has_come(status_server):
    load(status_server, "chatgpt", "github", "slack")
    polled = len(RECORDED_PAGES)
    assert services.poll_due(now=NOW) == polled

    assert services.poll_due(now=NOW + timedelta(minutes=1)) == 0
    assert services.poll_due(now=NOW + timedelta(minutes=5)) == polled


def test_the_service_api_shows_the_official_status_beside_the_crowd(status_server, api_client):
    openai = load(status_server, "chatgpt")["OpenAI"]
    services.poll_page(openai, now=NOW)

    official = api_client.get("/api/v1/services/chatgpt/").json()["official"]

    assert official["page"] == "OpenAI"
    assert official["status_page"] == "https://status.openai.com/"
    assert official["state"] == "polled"
    assert official["state_text"] == official["description"] == "All Systems Operational"
    assert official["latest_incident"]["name"] == "API, ChatGPT & Sora Facing Issues"


def test_a_service_without_an_official_page_says_so_and_has_no_acknowledgement(api_client):
    IncidentFactory(service=ServiceFactory(slug="nopage"))

    detail = api_client.get("/api/v1/services/nopage/").json()
    incident = api_client.get("/api/v1/incidents/").json()["results"][0]

    assert detail["official"]["status_page"] is None
    assert detail["official"]["state"] == "no_official_status_page"
    assert detail["official"]["state_text"] == "no official status page"
    assert incident["acknowledged_at"] is None
    assert incident["acknowledgement_lag_minutes"] is None
    assert incident["acknowledgement"] == "no_official_page"


def test_acknowledgement_lag_of_the_demos_12_december_openai_outage(status_server, api_client):
    # The demo replays the night of 11-12 December 2024 from generated reports; the detector
    # finds the crowd incident, the poller reads OpenAI's (recorded) status page.
    call_command(
        "seed_demo", "--services", "openai,chatgpt", "--weeks", "0.2", "--now",
        NOW.isoformat(), stdout=io.StringIO(),
    )  # fmt: skip
    services.catalogue_load(RECORDED_PAGES, base_url=status_server.url)
    services.poll_page(StatusPage.objects.get(name="OpenAI"), now=NOW)
    crowd = Incident.objects.get(
        service__slug="chatgpt", country="", started_at__date=datetime(2024, 12, 12).date()
    )

    found = acknowledgement(crowd, now=NOW)

    assert found.state == Ack.ACKNOWLEDGED
    assert found.acknowledged_at == datetime(2024, 12, 12, 0, 15, tzinfo=UTC)
    expected = round((found.acknowledged_at - crowd.started_at).total_seconds() / 60)
    assert 10 <= found.lag_minutes == expected <= 15  # the crowd saw it within ~5 minutes
    listed = api_client.get("/api/v1/incidents/", {"service": "chatgpt", "scope": "global"}).json()[
        "results"
    ]
    row = next(i for i in listed if i["id"] == crowd.pk)
    assert row["acknowledgement_lag_minutes"] == found.lag_minutes
    ranking = api_client.get("/api/v1/acknowledgement/", {"days": 3650}).json()
    assert ranking[0]["vendor"] == "OpenAI" and ranking[0]["acknowledged"] >= 1


def test_an_ended_incident_the_vendor_never_mentioned_counts_as_never_acknowledged(
    status_server,
):
    chatgpt = ServiceFactory(slug="chatgpt")
    openai = load(status_server)["OpenAI"]
    services.poll_page(openai, now=NOW - timedelta(days=2))
    crowd = IncidentFactory(
        service=chatgpt, started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=1)
    )

    assert acknowledgement(crowd, now=NOW).state == Ack.NEVER
    # OpenAI's incident list goes back to 12 December 2024: before it, we cannot tell.
    start = datetime(2024, 11, 1, 12, 0, tzinfo=UTC)
    before = IncidentFactory(service=chatgpt, started_at=start, ended_at=start + timedelta(hours=1))
    assert acknowledgement(before, now=NOW).state == Ack.UNKNOWN


def test_an_official_incident_of_another_component_does_not_acknowledge(status_server):
    sora = ServiceFactory(slug="sora")
    openai = load(status_server)["OpenAI"]
    OfficialIncident.objects.create(
        page=openai, external_id="x", name="API errors", components=["API"],
        acknowledged_at=NOW - timedelta(minutes=50),
    )  # fmt: skip
    openai.watched_since = NOW - timedelta(days=1)
    openai.save()
    crowd = IncidentFactory(service=sora, started_at=NOW - timedelta(minutes=60))

    assert acknowledgement(crowd, now=NOW).state == Ack.PENDING


def test_ranking_puts_the_quicker_vendor_first(status_server):
    load(status_server, "chatgpt", "github")
    pages = {p.name: p for p in StatusPage.objects.all()}
    for name, slug, lag in (("OpenAI", "chatgpt", 40), ("GitHub", "github", 5)):
        crowd = IncidentFactory(service__slug=slug, started_at=NOW - timedelta(days=1))
        OfficialIncident.objects.create(
            page=pages[name], external_id=f"{name}-1", name="down",
            acknowledged_at=crowd.started_at + timedelta(minutes=lag),
        )  # fmt: skip

    ranking = lag_ranking(now=NOW)

    assert [(r.page.name, r.median_lag_minutes) for r in ranking] == [("GitHub", 5), ("OpenAI", 40)]


def test_the_acknowledgement_page_lists_vendors(client, status_server):
    load(status_server, "github")
    crowd = IncidentFactory(service__slug="github", started_at=timezone.now() - timedelta(hours=1))
    OfficialIncident.objects.create(
        page=StatusPage.objects.get(name="GitHub"), external_id="g", name="down",
        acknowledged_at=crowd.started_at + timedelta(minutes=7),
    )  # fmt: skip

    response = client.get("/acknowledgement/")

    assert response.status_code == 200
    assert b'data-vendor="GitHub"' in response.content
    assert b"acknowledged after 7 minutes" in response.content


@pytest.mark.parametrize("body", [b"[]", b'{"status": []}', b"[" * 5000, b"NaN"])
def test_a_summary_that_is_not_one_is_a_format_error(body):
    from official.parsing import FormatError, statuspage_incidents, statuspage_summary

    with pytest.raises(FormatError):
        statuspage_summary(body)
    with pytest.raises(FormatError):
        statuspage_incidents(body)
