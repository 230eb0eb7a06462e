"""Every HTTP request to a server we do not run (webhooks, official status pages) goes here.

The other end is hostile: it can be slow (one byte every few seconds), huge, or point back
inside (a name that resolves to 127.0.0.1 the second time, a NAT64 or 6to4 spelling of the
metadata address, a redirect to the loopback). So each request:

- resolves the name once, refuses it unless every address is global (`address_is_public`,
  which also looks inside the IPv6 forms that carry an IPv4 address), then connects to the
  address it checked: no second lookup between the check and the connection;
- keeps TLS honest: SNI and certificate verification still use the name, not the address;
- has one deadline for all of it (lookup, connect, sending, every read of the answer) and a
  cap on the answer's size;
- follows a redirect only if asked to, re-checking each hop as above, at most a few hops.

Why httpx on asyncio rather than a sync client: a deadline on the whole exchange is then a
cancellation (`asyncio.timeout`). The sync clients (urllib, urllib3, httpx's sync API) only
time out each socket operation, so a server that drips one byte per read never trips them.
httpcore's `sni_hostname` extension is what lets the connection go to the checked address
while TLS verifies the name, without a hand-written socket or TLS layer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.parse
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address in their last 32 bits. NAT64's well-known prefix
# (RFC 6052) and its local-use one (RFC 8215) are translated to that IPv4 by a NAT64 gateway;
# the IPv4-compatible form (RFC 4291, deprecated) is still routed as IPv4 by some stacks.
NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
REDIRECT_STATUSES = {301, 302, 303, 307, 308}

# getaddrinfo cannot be cancelled: it runs in these threads, and a lookup that outlives its
# deadline finishes there on its own without holding up the request (asyncio.run would wait
# for its default executor's threads; it never waits for this one).
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")


class OutboundError(Exception):
    """The request failed: refused address, deadline passed, answer too big, network error."""


class RefusedAddress(OutboundError):
    """The URL's host is, or resolves to, an address we never connect to."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str  # the last hop's URL, after any redirects followed


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: mapped, compatible, NAT64, 6to4, Teredo."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): either could be the target
    if address in IPV4_COMPATIBLE or any(address in prefix for prefix in NAT64_PREFIXES):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_is_public(address: IPAddress) -> bool:
    """True for a global unicast address that is not a disguise for a non-global IPv4 one.

    `is_global` alone lets through 64:ff9b::7f00:1 (NAT64 of 127.0.0.1), 2002:7f00:1::1 (6to4)
    and ::7f00:1 (IPv4-compatible), all of which can reach the loopback or the metadata address.
    """
    if not address.is_global or address.is_multicast or address.is_unspecified:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return False
        embedded = embedded_ipv4(address)
        if address in IPV4_COMPATIBLE and not embedded[-1]:  # "::", "::1" and the like
            return False
        return all(address_is_public(v4) for v4 in embedded)
    return True


def _parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # a scope id is no part of the check


async def resolve(host: str, port: int, *, allow_private: bool = False) -> IPAddress:
    """One lookup of `host`; the address to connect to, or RefusedAddress.

    A name with any non-public address is refused as a whole: a name that answers both a
    public and a private address is exactly what DNS rebinding looks like.
    """
    try:
        literal = _parse_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.run_in_executor(
                _resolver, socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as error:
            raise OutboundError(f"{host}: cannot resolve ({error})") from error
        addresses = list(dict.fromkeys(_parse_address(info[4][0]) for info in infos))
    if not addresses:
        raise OutboundError(f"{host}: no address")
    if not allow_private:
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise RefusedAddress(f"{host} resolves to a non-public address ({refused[0]})")
    return addresses[0]


def _pinned(url: httpx.URL, address: IPAddress) -> tuple[httpx.URL, str]:
    """The URL with its host replaced by `address`, and the Host header of the original."""
    default_port = {"http": 80, "https": 443}[url.scheme]
    host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 literal
    host_header = host if url.port in (None, default_port) else f"{host}:{url.port}"
    return url.copy_with(host=str(address)), host_header


async def _exchange(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    *,
    headers: Mapping[str, str],
    content: bytes | None,
    max_bytes: int,
    allow_private: bool,
) -> Response:
    if url.scheme not in ("http", "https") or not url.host:
        raise OutboundError(f"{url}: only http and https URLs")
    if url.userinfo:
        raise OutboundError("credentials in a URL are not sent")
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    address = await resolve(url.host, port, allow_private=allow_private)
    pinned, host_header = _pinned(url, address)
    request = client.build_request(
        method,
        pinned,
        headers={**headers, "Host": host_header, "Accept-Encoding": "identity"},
        content=content,
        # TLS: server name indication and certificate check against the name, not the address.
        extensions={"sni_hostname": url.host} if url.scheme == "https" else {},
    )
    response = await client.send(request, stream=True)
    try:
        body = bytearray()
        # Raw bytes: we ask for no content coding, and decoding one a server sends anyway
        # could turn a small answer into a huge one (a compression bomb).
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > max_bytes:
                raise OutboundError(f"{url.host}: answer larger than {max_bytes} bytes")
    finally:
        await response.aclose()
    return Response(response.status_code, response.headers, bytes(body), str(url))


async def _request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None,
    deadline: float,
    max_bytes: int,
    max_redirects: int,
    allow_private: bool,
) -> Response:
    async with (
        asyncio.timeout(deadline),
        # trust_env off: no proxy or .netrc from the environment may reroute or authenticate
        # a request to a stranger's server. No redirects here: each hop is checked above.
        httpx.AsyncClient(
            trust_env=False, follow_redirects=False, timeout=httpx.Timeout(deadline)
        ) as client,
    ):
        target = httpx.URL(url)
        for _hop in range(max_redirects + 1):
            response = await _exchange(
                client,
                method,
                target,
                headers=headers,
                content=content,
                max_bytes=max_bytes,
                allow_private=allow_private,
            )
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location or not max_redirects:
                return response
            target = target.join(location)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, content = "GET", None
        raise OutboundError(f"more than {max_redirects} redirects")


def request(
    method: str,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    max_redirects: int = 0,
    allow_private: bool = False,
) -> Response:
    """Send one request and read its answer, all within `deadline` seconds.

    Any status is returned (3xx too, when redirects are not followed); OutboundError for a
    refused address, a passed deadline, an answer over `max_bytes`, or a network error.
    `allow_private` is for development and tests, whose servers live on the loopback.
    """
    try:
        urllib.parse.urlsplit(url)
        coroutine = _request(
            method,
            url,
            headers=dict(headers or {}),
            content=content,
            deadline=deadline,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            allow_private=allow_private,
        )
    except ValueError as error:
        raise OutboundError(f"invalid URL: {error}") from error
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
        # Called from a thread that runs an event loop (an ASGI view, an async test): this
        # call is sync, so it runs on a loop of its own in another thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()
    except TimeoutError as error:
        raise OutboundError(f"no complete answer within {deadline:g} s") from error
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as error:
        raise OutboundError(f"{type(error).__name__}: {error}") from error
