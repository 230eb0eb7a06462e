"""Who is asking: the client's address as every path sees it, and the keys limits count by.

One function for the DRF throttles, the HTML form, the ASGI intake and the cached reads, so a
forged header cannot give one path a different answer than another. X-Forwarded-For is read
as Django and DRF read it (all header lines joined by commas, the NUM_PROXIES-th hop from the
right), but each hop is validated and its port stripped: a value that is not an address falls
back to the peer, so garbage can never mint a fresh identity per request.

Keys: an IPv4 address is its own key; an IPv6 client is keyed by its /64, because one
subscriber routinely gets a whole /64 (RFC 6177) and can pick any address in it; an
IPv4-mapped IPv6 address is the IPv4 address it maps. Networks: an IPv4 /24 (the smallest
block routed between providers) and an IPv6 /48 (the usual site allocation, RFC 6177).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPV6_CLIENT_PREFIX = 64
IPV4_NETWORK_PREFIX = 24
IPV6_NETWORK_PREFIX = 48


def parse_hop(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One X-Forwarded-For entry ("1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:443") or None."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    """The string limits and fingerprints count by: the IPv4 address or the IPv6 /64."""
    if address is None:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.__class__(int(address) >> 64 << 64)  # scope id dropped too
        return f"{address}/{IPV6_CLIENT_PREFIX}"
    return str(address)


def network_key(key: str) -> str:
    """The network a client key belongs to: its IPv4 /24 or IPv6 /48 ("" stays "")."""
    address_part = key.partition("/")[0]
    try:
        address = ipaddress.ip_address(address_part)
    except ValueError:
        return key
    prefix = IPV4_NETWORK_PREFIX if address.version == 4 else IPV6_NETWORK_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def client_from(peer: str, forwarded_for: Iterable[str], num_proxies: int) -> str:
    """The client key: the peer's, or with NUM_PROXIES trusted proxies the hop they vouch for.

    `forwarded_for` holds every X-Forwarded-For header line (a proxy may add its own line
    rather than append to the first). As DRF: hops = all entries left to right, client =
    hops[-min(num_proxies, len(hops))].
    """
    if num_proxies > 0:
        hops = [hop for line in forwarded_for for hop in line.split(",")]
        if hops:
            forwarded = parse_hop(hops[-min(num_proxies, len(hops))])
            if forwarded is not None:
                return client_key(forwarded)
    return client_key(parse_hop(peer))


def num_proxies() -> int:
    from django.conf import settings

    return settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0


def client_of_request(meta: dict) -> str:
    """For Django: its META already joins repeated header lines with commas."""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    return client_from(meta.get("REMOTE_ADDR", ""), [forwarded] if forwarded else [], num_proxies())


def client_of_scope(scope: dict) -> str:
    """For the ASGI paths: every X-Forwarded-For line of the raw scope."""
    lines = [
        value.decode("latin-1")
        for name, value in scope.get("headers", [])
        if name == b"x-forwarded-for"
    ]
    peer = (scope.get("client") or ("", 0))[0]
    return client_from(peer, lines, num_proxies())
