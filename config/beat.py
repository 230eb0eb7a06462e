"""The beat scheduler: RedBeat (schedule and a lock in Redis, so exactly one beat sends the
schedule), made to survive a Redis restart instead of exiting.

RedBeat renews its lock on every tick and lets any Redis error escape, which stops beat; and
a Redis restarted without persistence forgets the lock and the stored schedule. Here a tick
that cannot reach Redis waits and tries again, and a beat that finds its lock gone takes it
again only if no other beat did meanwhile, then stores the schedule again before sending.
"""

from __future__ import annotations

import logging

from redbeat import RedBeatScheduler
from redis import exceptions as redis_errors

log = logging.getLogger(__name__)

REDIS_TROUBLE = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.LockError)


class SingleBeatScheduler(RedBeatScheduler):
    def tick(self, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
        try:
            if self.lock_key and self.lock is not None and not self.lock.owned():
                if not self.lock.acquire(blocking=False):
                    return self.max_interval  # another beat holds it now: stand by
                log.warning("beat: lock lost (Redis restarted?) and taken again")
                self.setup_schedule()
            return super().tick(*args, **kwargs)
        except REDIS_TROUBLE as error:
            log.warning("beat: Redis unavailable or lock lost, trying again: %s", error)
            return self.max_interval
