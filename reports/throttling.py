"""Per-client rate limits that never keep a raw address, even in the cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class _HashedIdentMixin:
    def get_ident(self, request) -> str:  # type: ignore[no-untyped-def]
        ident = super().get_ident(request)  # type: ignore[misc]
        return hashlib.sha256(f"{settings.SECRET_KEY}|{ident}".encode()).hexdigest()[:32]

    def get_rate(self) -> str | None:
        # Read at call time (not at import) so settings changes, e.g. in tests, apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[attr-defined]


class AnonymousClientThrottle(_HashedIdentMixin, AnonRateThrottle):
    """Every API call: a generous ceiling per client address."""


class ReportThrottle(_HashedIdentMixin, SimpleRateThrottle):
    """Report submissions per client address, API and web form alike."""

    scope = "reports"

    def get_cache_key(self, request, view) -> str:  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
