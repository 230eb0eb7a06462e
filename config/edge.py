"""The ASGI edge: what the fast paths in front of Django share (reports/intake.py for report
intake, outages/cached_reads.py for status reads): the client's address as DRF sees it, rate
limits on the same Redis counters as DRF's throttles, and small JSON answers."""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.conf import settings

from reports.throttling import parse_rate

log = logging.getLogger(__name__)


class RateLimiter:
    """The same fixed windows and keys as reports.throttling, straight on Redis."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    async def refused(self, sources: list[tuple[str, str]]) -> float | None:
        """Seconds to wait if a limit is exceeded, else None; `sources` are (throttle scope,
        what it counts: an address or a network). Fails open if Redis is down: losing rate
        limits for a few seconds is better than refusing every request."""
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        checks = []
        for scope, source in sources:
            rate = parse_rate(rates.get(scope))
            if rate is not None:
                checks.append((scope, source, *rate))
        if not checks:
            return None
        now = time.time()
        try:
            pipe = self.redis.pipeline(transaction=False)
            keys = []
            for scope, source, _, period in checks:
                digest = hashlib.sha256(f"{settings.SECRET_KEY}|{source}".encode()).hexdigest()
                # Django's cache key layout (":1:" prefix), so both paths share counters.
                key = f":1:throttle:{scope}:{digest[:32]}:{int(now // period)}"
                keys.append(key)
                # SET NX EX then INCR, not INCR then EXPIRE NX: EXPIRE's NX flag needs Redis
                # 7 (on Redis 6 every check errored and failed open); SET NX EX is as old as
                # Redis 2.6.12. The key names its window, so it never expires mid-window.
                pipe.set(key, 0, ex=period + 1, nx=True)
                pipe.incr(key)
            replies = await pipe.execute()
        except Exception as error:  # any Redis failure: fail open
            log.warning("rate limits skipped, Redis unavailable: %s", error)
            return None
        for (_, _, limit, period), used in zip(checks, replies[1::2], strict=True):
            if used > limit:
                return max(1.0, (int(now // period) + 1) * period - now)
        return None


def client_address(scope: dict) -> str:
    """As DRF's throttles see it: X-Forwarded-For honoured for NUM_PROXIES trusted proxies."""
    remote = (scope.get("client") or ("", 0))[0]
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if proxies:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                hops = [h.strip() for h in value.decode("latin-1").split(",")]
                return hops[-min(proxies, len(hops))]
    return remote


async def read_body(receive, limit: int) -> tuple[bytes, bool]:  # type: ignore[no-untyped-def]
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False


async def respond(send, status: int, payload: object, *, retry_after: int | None = None) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
