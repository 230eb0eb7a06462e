"""The poller's fetch goes through common/outbound.py: a status page cannot redirect it inside,
and a page that drips or swells costs one deadline or one cap, as a failed poll."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

import pytest

from official import fetching, services
from official.models import OfficialIncident, PageKind, StatusPage
from tests.helpers import QuietHandler, local_server

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INSIDE_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
<item><title>Injected</title><guid>inside-1</guid><link>http://x/</link>
<pubDate>Wed, 25 Nov 2026 11:00:00 GMT</pubDate><description>resolved</description></item>
</channel></rss>"""


def test_a_status_page_that_redirects_to_the_loopback_is_not_followed(vendor_server):
    """The issue's row: urlopen followed the redirect and the poller stored what it parsed.
    The vendor (VENDOR_HOST) is judged public, private targets are off: only the redirect's
    hop to the loopback is what gets refused."""
    inside: list[str] = []

    class Inside(QuietHandler):
        def do_GET(self) -> None:
            inside.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(INSIDE_FEED)

    with local_server(Inside) as inside_url:

        class Redirecting(QuietHandler):
            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", f"{inside_url}/feed.rss")
                self.end_headers()

        with vendor_server(Redirecting) as url:
            page = StatusPage.objects.create(name="Vendor", kind=PageKind.RSS, url=f"{url}/")
            assert services.poll_page(page, now=NOW) == 0

    page.refresh_from_db()
    assert inside == [] and not OfficialIncident.objects.exists()
    assert page.failures == 1 and "non-public" in page.last_error


def test_a_status_page_that_drips_fails_the_poll_at_the_deadline(vendor_server):
    # fetch's deadline defaults to fetching.DEADLINE_SECONDS (10 s); the poller's one outbound
    # call is passed in with a 1 s one, so the test need not wait 10 s.
    get = functools.partial(fetching.fetch, deadline_seconds=1)

    class Dripping(QuietHandler):
        def do_GET(self) -> None:
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass

    with vendor_server(Dripping) as url:
        page = StatusPage.objects.create(name="Slow", kind=PageKind.RSS, url=url + "/")
        started = time.monotonic()
        services.poll_page(page, now=NOW, get=get)
        elapsed = time.monotonic() - started

    page.refresh_from_db()
    assert elapsed < 3 and page.failures == 1 and "within 1 s" in page.last_error
