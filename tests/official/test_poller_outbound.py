"""The poller's fetch goes through common/outbound.py: a status page cannot redirect it inside,
and a page that drips or swells costs one deadline or one cap, as a failed poll."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer

import pytest

from common import outbound
from official import services
from official.models import OfficialIncident, PageKind, StatusPage
from tests.helpers import QuietHandler, local_server

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INSIDE_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
<item><title>Injected</title><guid>inside-1</guid><link>http://x/</link>
<pubDate>Wed, 25 Nov 2026 11:00:00 GMT</pubDate><description>resolved</description></item>
</channel></rss>"""


def test_a_status_page_that_redirects_to_the_loopback_is_not_followed(settings, monkeypatch):
    """The issue's row: urlopen followed the redirect and the poller stored what it parsed."""
    settings.OFFICIAL_ALLOW_PRIVATE_TARGETS = False
    # 127.0.0.2 plays the vendor's public server: only the public/private rule is patched,
    # and the address it judges is the one connected to.
    real = outbound.address_is_public
    monkeypatch.setattr(outbound, "address_is_public", lambda a: str(a) == "127.0.0.2" or real(a))
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

        server = ThreadingHTTPServer(("127.0.0.2", 0), Redirecting)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            page = StatusPage.objects.create(
                name="Vendor", kind=PageKind.FEED, url=f"http://127.0.0.2:{server.server_port}/"
            )
            assert services.poll_page(page, now=NOW) == 0
        finally:
            server.shutdown()
            server.server_close()

    page.refresh_from_db()
    assert inside == [] and not OfficialIncident.objects.exists()
    assert page.failures == 1 and "non-public" in page.last_error


def test_a_status_page_that_drips_fails_the_poll_at_the_deadline(settings, monkeypatch):
    settings.OFFICIAL_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(services, "TIMEOUT_SECONDS", 1)

    class Dripping(QuietHandler):
        def do_GET(self) -> None:
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass

    with local_server(Dripping) as url:
        page = StatusPage.objects.create(name="Slow", kind=PageKind.FEED, url=url + "/")
        started = time.monotonic()
        services.poll_page(page, now=NOW)
        elapsed = time.monotonic() - started

    page.refresh_from_db()
    assert elapsed < 3 and page.failures == 1 and "within 1 s" in page.last_error
