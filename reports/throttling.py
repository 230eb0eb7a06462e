"""Per-client rate limits that are atomic under concurrency and never keep a raw address.

Fixed windows counted with the cache's atomic increment (Redis INCR in production), per client
address and per network (/24 for IPv4, /64 for IPv6), so one household cannot flood and one
subnet cannot rotate addresses around the limit. Keys hold a hash, never the address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

log = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'30/min' -> (30, 60); None or '' -> None (no limit)."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


def network_of(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network an address belongs to; the address if unparsable."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class FixedWindowThrottle(BaseThrottle):
    """`limit` requests per `period` seconds per key; the count is one atomic increment."""

    scope = ""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def rate(self) -> tuple[int, int] | None:
        # Read at call time (not at import) so settings changes, e.g. in tests, apply.
        return parse_rate(api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def key_source(self, request) -> str:  # type: ignore[no-untyped-def]
        return self.get_ident(request)

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        rate = self.rate()
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        digest = hashlib.sha256(f"{settings.SECRET_KEY}|{self.key_source(request)}".encode())
        key = f"throttle:{self.scope}:{digest.hexdigest()[:32]}:{window}"
        try:
            used = self.count(key, period)
        except Exception as error:  # the cache server is down: fail open, as the intake does
            log.warning("rate limit %s skipped, cache unavailable: %s", self.scope, error)
            return True
        if used <= limit:
            return True
        self.wait_seconds = max(1.0, (window + 1) * period - now)
        return False

    def wait(self) -> float | None:
        return self.wait_seconds

    @staticmethod
    def count(key: str, period: int) -> int:
        # add() creates the counter only if absent; incr() is atomic in Redis and LocMem.
        cache.add(key, 0, timeout=period + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start the window again
            cache.add(key, 1, timeout=period + 1)
            return 1


class AnonymousClientThrottle(FixedWindowThrottle):
    """Every API call: a generous ceiling per client address."""

    scope = "anon"


class ReportThrottle(FixedWindowThrottle):
    """Report submissions per client address, API and web form alike."""

    scope = "reports"


class ReportNetworkThrottle(FixedWindowThrottle):
    """Report submissions per /24 or /64 network."""

    scope = "reports_network"

    def key_source(self, request) -> str:  # type: ignore[no-untyped-def]
        return network_of(self.get_ident(request))


REPORT_THROTTLES = (AnonymousClientThrottle, ReportThrottle, ReportNetworkThrottle)
