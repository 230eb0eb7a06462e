"""Outbound requests (common/outbound.py): no address inside, one lookup, checked redirects, one
deadline for the whole exchange, bounded answers. Every server here is local."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from common import outbound
from tests.helpers import QuietHandler, local_server


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # CGNAT shared space
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fec0::1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_non_global_addresses_and_their_ipv6_disguises_are_refused(address):
    assert not outbound.address_is_public(ipaddress.ip_address(address))
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    with pytest.raises(outbound.RefusedAddress):
        outbound.request("GET", url, deadline=2, max_bytes=100)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_global_addresses_are_public_including_nat64_of_a_public_ipv4(address):
    assert outbound.address_is_public(ipaddress.ip_address(address))


class Hello(QuietHandler):
    def do_GET(self) -> None:
        body = f"hello {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(monkeypatch):
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        lookups.append(host)
        # First answer: where the server is; any later answer would point somewhere else.
        target = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return real_getaddrinfo(target, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with local_server(Hello) as url:
        port = url.rsplit(":", 1)[1]
        response = outbound.request(
            "GET", f"http://hooks.example.org:{port}/", deadline=5, max_bytes=100,
            allow_private=True,
        )  # fmt: skip

    assert lookups == ["hooks.example.org"]
    # The server saw the name, not the address: virtual hosts (and TLS SNI) still work.
    assert response.body == f"hello hooks.example.org:{port}".encode()


def test_a_name_that_answers_a_public_and_a_private_address_is_refused(monkeypatch):
    def both(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)

    with pytest.raises(outbound.RefusedAddress):
        outbound.request("GET", "http://rebind.example.org/", deadline=2, max_bytes=100)


@contextmanager
def public_loopback_alias(monkeypatch):
    """127.0.0.2 stands in for a public server (only the public/private rule is patched:
    the address that rule sees is the one connected to); 127.0.0.1 stays inside."""
    real = outbound.address_is_public
    monkeypatch.setattr(
        outbound,
        "address_is_public",
        lambda address: str(address) == "127.0.0.2" or real(address),
    )
    yield


def serve_on(address: str, handler) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer((address, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://{address}:{server.server_port}", server


def test_a_redirect_into_our_own_network_is_not_followed(monkeypatch):
    inside: list[str] = []

    class Inside(QuietHandler):
        def do_GET(self) -> None:
            inside.append(self.path)
            self.send_response(200)
            self.end_headers()

    with local_server(Inside) as inside_url, public_loopback_alias(monkeypatch):

        class Redirecting(QuietHandler):
            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", f"{inside_url}/latest/meta-data")
                self.end_headers()

        outside_url, server = serve_on("127.0.0.2", Redirecting)
        try:
            with pytest.raises(outbound.RefusedAddress):
                outbound.request("GET", outside_url, deadline=5, max_bytes=100, max_redirects=3)
            unfollowed = outbound.request("GET", outside_url, deadline=5, max_bytes=100)
        finally:
            server.shutdown()
            server.server_close()

    assert inside == []
    assert unfollowed.status == 302  # without max_redirects, a redirect is only an answer


def test_redirects_are_followed_only_a_few_hops():
    class Loop(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", "/again")
            self.end_headers()

    with local_server(Loop) as url, pytest.raises(outbound.OutboundError, match="redirects"):
        outbound.request("GET", url, deadline=5, max_bytes=100, max_redirects=3, allow_private=True)


class Dripping(QuietHandler):
    """One byte a quarter-second, in the status line and headers or in the body: every single
    read is quick, so only a deadline on the whole exchange stops it."""

    def do_GET(self) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n"
        data = head + b"x" * 400 if self.path == "/head" else b"x" * 400
        if self.path != "/head":
            self.wfile.write(head)
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass

    do_POST = do_GET


@pytest.mark.parametrize("path", ["/head", "/body"])
def test_a_server_that_drips_is_cut_off_at_the_total_deadline(path):
    with local_server(Dripping) as url:
        started = time.monotonic()
        with pytest.raises(outbound.OutboundError, match="within 1 s"):
            outbound.request("GET", url + path, deadline=1, max_bytes=10_000, allow_private=True)
        elapsed = time.monotonic() - started

    assert elapsed < 2.5


def test_an_answer_over_the_cap_is_refused():
    class Huge(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 100_000)

    with local_server(Huge) as url, pytest.raises(outbound.OutboundError, match="larger"):
        outbound.request("GET", url, deadline=5, max_bytes=10_000, allow_private=True)


def test_only_http_and_https_urls_are_fetched():
    with pytest.raises(outbound.OutboundError):
        outbound.request("GET", "file:///etc/passwd", deadline=1, max_bytes=100)


def test_a_request_from_inside_an_event_loop_still_works():
    async def from_a_coroutine(url: str) -> outbound.Response:
        return outbound.request("GET", url, deadline=5, max_bytes=100, allow_private=True)

    with local_server(Hello) as url:
        response = asyncio.run(from_a_coroutine(url))

    assert response.status == 200
