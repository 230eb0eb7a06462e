"""One test per status format, each polled from its recorded document on a local server, and a
vendor server that is slow, huge, malformed or redirects inward."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from official import fetching, parsing, services
from official.catalogue import OFFICIAL_PAGES, RECORDED_PAGES
from official.models import OfficialIncident, PageKind, StatusPage
from tests.factories import ServiceFactory
from tests.helpers import QuietHandler

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def poll(server, name: str) -> StatusPage:
    entry = next(page for page in RECORDED_PAGES if page["name"] == name)
    for slug in entry["services"]:
        ServiceFactory(slug=slug)
    services.catalogue_load([entry], base_url=server.url)
    page = StatusPage.objects.get(name=name)
    services.poll_page(page, now=NOW)
    page.refresh_from_db()
    return page


def test_every_format_in_the_data_has_a_recorded_fixture():
    formats = {page["format"] for page in OFFICIAL_PAGES} - {PageKind.PAGE}
    assert formats <= {page["format"] for page in RECORDED_PAGES}
    assert formats <= set(parsing.FORMATS)


def test_incident_io_page_through_its_statuspage_compatible_api(status_server):
    openai = poll(status_server, "OpenAI")

    assert openai.kind == "incidentio" and openai.failures == 0
    assert openai.description == "All Systems Operational"
    assert [r["path"] for r in status_server.requests] == [
        "/openai/api/v2/summary.json",
        "/openai/api/v2/incidents.json",
    ]
    assert OfficialIncident.objects.get(page=openai).components == ["API", "ChatGPT", "Sora"]


def test_atlassian_statuspage(status_server):
    github = poll(status_server, "GitHub")

    incident = OfficialIncident.objects.get(page=github)
    assert (github.indicator, github.description) == ("none", "All Systems Operational")
    assert incident.acknowledged_at == datetime(2025, 1, 13, 23, 35, tzinfo=UTC)
    assert incident.components == ["Git Operations"] and incident.impact == "major"


def test_google_cloud_incidents_json(status_server):
    google = poll(status_server, "Google Cloud")

    incident = OfficialIncident.objects.get(page=google)
    assert (google.indicator, google.description) == ("none", "No open incidents")
    # Acknowledged when Google first published it, not when it says the impact began.
    assert incident.acknowledged_at == datetime(2025, 6, 12, 18, 46, tzinfo=UTC)
    assert incident.resolved_at == datetime(2025, 6, 13, 1, 18, tzinfo=UTC)
    assert "Google Compute Engine" in incident.components


def test_google_open_incident_sets_the_indicator():
    body = b'[{"id": "a", "created": "2025-01-01T00:00:00Z", "severity": "high", "updates": []}]'
    status, records = parsing.google_incidents(body)
    assert status.indicator == "major" and records[0].resolved_at is None


def test_slack_status_api(status_server):
    slack = poll(status_server, "Slack")

    incident = OfficialIncident.objects.get(page=slack)
    assert slack.indicator == "major"
    assert slack.description.startswith("Users may be having trouble sending messages")
    assert incident.acknowledged_at == datetime(2025, 2, 26, 15, 7, tzinfo=UTC)


def test_playstation_network_status(status_server):
    psn = poll(status_server, "PlayStation Network")

    assert (psn.indicator, psn.description) == ("minor", "Some services are degraded")
    assert not OfficialIncident.objects.filter(page=psn).exists()


def test_apple_system_status_jsonp(status_server):
    apple = poll(status_server, "Apple")

    incident = OfficialIncident.objects.get(page=apple)
    assert apple.indicator == "minor"
    assert incident.components == ["iCloud Mail"]
    assert incident.acknowledged_at == datetime(2025, 1, 15, 15, 0, tzinfo=UTC)


def test_paypal_components(status_server):
    paypal = poll(status_server, "PayPal")

    assert (paypal.indicator, paypal.description) == ("minor", "Payouts: Service Disruption")


def test_atom_feed_entries_are_incidents():
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>tag:x,1</id><title>Down</title>'
        b'<published>2025-03-01T10:00:00Z</published><link href="https://x/1"/></entry></feed>'
    )
    (record,) = parsing.feed_incidents(body)
    assert (record.external_id, record.url) == ("tag:x,1", "https://x/1")
    assert record.acknowledged_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_an_xml_bomb_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item>'
        b"<title>&b;</title></item></channel></rss>"
    )
    with pytest.raises(parsing.FormatError):
        parsing.feed_incidents(bomb)


@pytest.mark.parametrize(
    "reader",
    [
        parsing.google_incidents,
        parsing.slack_current,
        parsing.playstation_status,
        parsing.apple_status,
        parsing.paypal_status,
    ],
)
@pytest.mark.parametrize("body", [b"", b"{", b"null", b'{"x": 1}', b"[" * 5000, b"\xff\xfe"])
def test_malformed_documents_are_format_errors(reader, body):
    with pytest.raises(parsing.FormatError):
        reader(body)


# --- A hostile vendor server ---------------------------------------------------------------


@pytest.fixture
def hostile(vendor_server):
    """A vendor page that drips, floods, talks nonsense or redirects to the inside. It is
    served as a public server, private targets off, as the poller runs in production."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/slow":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(40):  # one byte every 0.1 s: each read is quick, the sum is not
                    self.wfile.write(b"{")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif self.path == "/huge":
                self.send_response(200)
                self.end_headers()
                chunk = b" " * 65536
                for _ in range(64):  # 4 MiB, no Content-Length
                    self.wfile.write(chunk)
            elif self.path == "/malformed":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"status": {"indicator": ')
            elif self.path == "/inward":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:9/secret")
                self.end_headers()
            elif self.path == "/metadata":
                self.send_response(301)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

    with vendor_server(Handler) as url:
        yield url


def test_a_slow_drip_is_cut_at_the_total_deadline(hostile):
    began = time.monotonic()
    with pytest.raises(fetching.FetchError, match="no complete answer within"):
        fetching.fetch(f"{hostile}/slow", deadline_seconds=1.0)
    assert time.monotonic() - began < 3


def test_a_huge_answer_is_cut_at_the_size_cap(hostile):
    with pytest.raises(fetching.FetchError, match="larger than"):
        fetching.fetch(f"{hostile}/huge", max_bytes=1024 * 1024)


@pytest.mark.parametrize("path", ["/inward", "/metadata"])
def test_a_redirect_to_an_inside_address_is_refused(hostile, path):
    # A short deadline: were the redirect followed, the metadata address would not answer here.
    with pytest.raises(fetching.FetchError, match="resolves to a non-public address"):
        fetching.fetch(f"{hostile}{path}", deadline_seconds=3.0)


def test_a_hostile_page_is_a_failed_poll_that_backs_off(hostile):
    ServiceFactory(slug="chatgpt")
    page = StatusPage.objects.create(name="Hostile", url=f"{hostile}/malformed", kind="slack")

    assert services.poll_page(page, now=NOW) == 0

    page.refresh_from_db()
    assert page.failures == 1 and page.polled_at is None
    assert page.next_poll_at == NOW + services.POLL_INTERVAL * 2
