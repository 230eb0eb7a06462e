from __future__ import annotations

from common.clients import network_key
from common.throttling import SharedLimitThrottle


class SubscribeThrottle(SharedLimitThrottle):
    """New subscriptions, API and form alike: per client, then per network (common.ratelimit
    checks them in that order, so a refused client does not spend its neighbours' budget)."""

    def sources(self, client: str) -> list[tuple[str, str]]:
        return [("subscriptions", client), ("subscriptions_network", network_key(client))]


SUBSCRIBE_THROTTLES = (SubscribeThrottle,)
