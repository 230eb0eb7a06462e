from __future__ import annotations

from reports.throttling import FixedWindowThrottle, network_of


class SubscribeThrottle(FixedWindowThrottle):
    """New subscriptions per client address (API and form alike)."""

    scope = "subscriptions"


class SubscribeNetworkThrottle(FixedWindowThrottle):
    scope = "subscriptions_network"

    def key_source(self, request) -> str:  # type: ignore[no-untyped-def]
        return network_of(self.get_ident(request))


SUBSCRIBE_THROTTLES = (SubscribeThrottle, SubscribeNetworkThrottle)
