"""DRF throttles over the shared rate limits (common.ratelimit): the ASGI edge counts the same
keys the same way, so a client has one budget whichever path answers it. They live beside
the rate limiting they wrap, below every app: reports, alerts and config all use them.

Per client (an IPv4 address or an IPv6 /64) and per network (/24, /48); see common.clients.
"""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from common import ratelimit
from common.clients import client_of_request, network_key


def report_sources(client: str) -> list[tuple[str, str]]:
    """The report limits in the order they are checked: the client's own budget first, so a
    refused client never spends its network's (its neighbours') budget."""
    return [("reports", client), ("reports_network", network_key(client))]


class SharedLimitThrottle(BaseThrottle):
    """A DRF throttle whose counting is common.ratelimit's (one script, in order)."""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def sources(self, client: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def get_ident(self, request) -> str:  # type: ignore[no-untyped-def]
        return client_of_request(request.META)

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        self.wait_seconds = ratelimit.refused(self.sources(self.get_ident(request)))
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


class AnonymousClientThrottle(SharedLimitThrottle):
    """Every API call: a generous ceiling per client."""

    def sources(self, client: str) -> list[tuple[str, str]]:
        return [("anon", client)]


class ReportThrottle(SharedLimitThrottle):
    """Report submissions, API and web form alike: per client, then per network."""

    def sources(self, client: str) -> list[tuple[str, str]]:
        return report_sources(client)


class AdminLoginThrottle(SharedLimitThrottle):
    """Admin login attempts per client: password guessing is slow by construction."""

    def sources(self, client: str) -> list[tuple[str, str]]:
        return [("admin_login", client)]


REPORT_THROTTLES = (AnonymousClientThrottle, ReportThrottle)
