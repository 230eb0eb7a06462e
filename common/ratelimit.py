"""Rate limits shared by Django's throttles and the ASGI edge: same keys, same counting.

Fixed windows counted with one atomic step per request. The checks of a request run in order
(the client's own budget first, then its network's) and stop at the first refusal, so a
client that is refused does not spend its neighbours' network budget: its refused tries only
count against itself. On Redis the whole sequence is one Lua script (one round trip, atomic);
on a local-memory cache it is the same steps in Python.

Keys go through Django's cache.make_key, so KEY_PREFIX or VERSION can never split the edge's
counters from Django's. Keys hold a hash, never an address.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# KEYS: the counters in check order; ARGV: limit and expiry of each. Returns the 1-based index
# of the first counter over its limit, or 0.
SCRIPT = """
for i, key in ipairs(KEYS) do
  local used = redis.call('INCR', key)
  if used == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
  if used > tonumber(ARGV[2 * i - 1]) then return i end
end
return 0
"""


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'30/min' -> (30, 60); None or '' -> None (no limit)."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


@dataclass(frozen=True)
class Check:
    name: str  # the cache key before make_key (what the Django cache API takes)
    key: str  # the raw Redis key, as make_key spells it
    limit: int
    period: int
    window_end: float

    def wait(self, now: float) -> float:
        return max(1.0, self.window_end - now)


def checks_for(sources: list[tuple[str, str]], now: float) -> list[Check]:
    """(throttle scope, what it counts) -> the checks whose rate is set, in the given order."""
    from django.conf import settings
    from django.core.cache import cache

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    checks = []
    for scope, source in sources:
        rate = parse_rate(rates.get(scope))
        if rate is None:
            continue
        limit, period = rate
        window = int(now // period)
        digest = hashlib.sha256(f"{settings.SECRET_KEY}|{source}".encode()).hexdigest()[:32]
        name = f"throttle:{scope}:{digest}:{window}"
        checks.append(Check(name, cache.make_key(name), limit, period, (window + 1) * period))
    return checks


def _script_args(checks: list[Check]) -> list[int]:
    return [n for c in checks for n in (c.limit, c.period + 1)]


def refused(sources: list[tuple[str, str]]) -> float | None:
    """Django's side: seconds to wait if a limit is exceeded, else None. Fails open when the
    cache server is down: losing limits for a few seconds beats refusing everyone."""
    from django.core.cache import cache

    now = time.time()
    checks = checks_for(sources, now)
    if not checks:
        return None
    try:
        client = getattr(cache, "_cache", None)
        if hasattr(client, "get_client"):  # Django's RedisCache: the same script as the edge
            redis = client.get_client(write=True)
            index = redis.eval(SCRIPT, len(checks), *[c.key for c in checks], *_script_args(checks))
        else:
            index = _local_steps(cache, checks)
    except Exception as error:
        log.warning("rate limits skipped, cache unavailable: %s", error)
        return None
    return checks[index - 1].wait(now) if index else None


def _local_steps(cache, checks: list[Check]) -> int:  # type: ignore[no-untyped-def]
    """The script's steps on a cache without scripting (LocMem, in tests and development)."""
    for i, check in enumerate(checks, 1):
        cache.add(check.name, 0, timeout=check.period + 1)
        try:
            used = cache.incr(check.name)
        except ValueError:  # expired between add and incr: start the window again
            cache.add(check.name, 1, timeout=check.period + 1)
            used = 1
        if used > check.limit:
            return i
    return 0


class RateLimiter:
    """The edge's side: the same checks straight on Redis, one round trip."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.script = self.redis.register_script(SCRIPT)

    async def refused(self, sources: list[tuple[str, str]]) -> float | None:
        """Seconds to wait if a limit is exceeded, else None; fails open if Redis is down."""
        now = time.time()
        checks = checks_for(sources, now)
        if not checks:
            return None
        try:
            index = await self.script(keys=[c.key for c in checks], args=_script_args(checks))
        except Exception as error:  # any Redis failure: fail open
            log.warning("rate limits skipped, Redis unavailable: %s", error)
            return None
        return checks[index - 1].wait(now) if index else None
