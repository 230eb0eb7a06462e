"""JSON, not pickle, for everything read back from Redis.

Django's RedisSerializer unpickles whatever the cache holds: anyone able to write one key in
that Redis (shared with the Celery broker) could run code in every web process. JSON can only
ever give back data. Integers stay raw, as Django stores them, so INCR-based counters (the
rate limits) work unchanged.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder


class JSONSerializer:
    """A serializer for Django's RedisCache (CACHES OPTIONS "serializer")."""

    def dumps(self, obj: object) -> bytes | int:
        # Only plain ints are stored raw: bools are JSON (Django's RedisSerializer does the same).
        if type(obj) is int:
            return obj
        return json.dumps(obj, cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> object:
        return loads(data)


def loads(data: bytes | None) -> object:
    """What JSONSerializer stored: an int, or JSON."""
    if data is None:
        return None
    try:
        return int(data)
    except ValueError:
        return json.loads(data)
