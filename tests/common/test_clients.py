"""The one client-address parser every path uses (common/clients.py)."""

from __future__ import annotations

import pytest

from common.clients import client_from, client_of_scope, network_key


@pytest.mark.parametrize(
    ("peer", "lines", "proxies", "client"),
    [
        ("192.0.2.1", ["203.0.113.5"], 0, "192.0.2.1"),  # no proxy trusted: header ignored
        ("192.0.2.1", ["203.0.113.5"], 1, "203.0.113.5"),
        ("192.0.2.1", ["6.6.6.6, 203.0.113.5"], 1, "203.0.113.5"),  # right-most hop
        ("192.0.2.1", ["6.6.6.6", "203.0.113.5"], 1, "203.0.113.5"),  # every header line
        ("192.0.2.1", ["6.6.6.6, 203.0.113.5, 10.0.0.2"], 2, "203.0.113.5"),
        ("192.0.2.1", ["203.0.113.5:4711"], 1, "203.0.113.5"),  # port stripped
        ("192.0.2.1", ["[2001:db8::1]:443"], 1, "2001:db8::/64"),
        ("192.0.2.1", ["not-an-address"], 1, "192.0.2.1"),  # garbage: the peer answers for it
        ("192.0.2.1", [], 1, "192.0.2.1"),
    ],
)
def test_client_is_the_validated_hop_the_trusted_proxies_vouch_for(peer, lines, proxies, client):
    assert client_from(peer, lines, proxies) == client


def test_every_address_of_one_ipv6_slash_64_is_one_client():
    clients = {client_from(f"2001:db8:5:6::{i:x}", [], 0) for i in range(1, 41)}

    assert clients == {"2001:db8:5:6::/64"}


def test_ipv4_mapped_ipv6_address_is_the_ipv4_client():
    assert client_from("::ffff:198.51.100.7", [], 0) == "198.51.100.7"


def test_a_port_per_request_does_not_mint_a_new_client():
    clients = {client_from("10.0.0.1", [f"198.51.100.7:{port}"], 1) for port in range(1000, 1035)}

    assert clients == {"198.51.100.7"}


def test_asgi_scope_reads_all_forwarded_for_lines(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    scope = {
        "client": ("127.0.0.1", 5555),
        "headers": [(b"x-forwarded-for", b"198.51.100.7"), (b"x-forwarded-for", b"6.6.6.6")],
    }

    assert client_of_scope(scope) == "6.6.6.6"


@pytest.mark.parametrize(
    ("client", "network"),
    [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2::/64", "2001:db8:1::/48"), ("", "")],
)
def test_networks_are_ipv4_slash_24_and_ipv6_slash_48(client, network):
    assert network_key(client) == network
