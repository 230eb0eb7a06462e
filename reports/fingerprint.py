"""Recognise a returning reporter without ever storing who they are.

The fingerprint is HMAC-SHA256(address | user agent) under a random salt drawn once per UTC
day and kept in the database only until the day after (see ReporterSalt and the daily purge
task). Once a salt is gone, its fingerprints can no longer be linked to any address, not even
by someone holding the database and SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, timedelta

from django.db import IntegrityError, transaction

from reports.models import ReporterSalt

# Salts in use by this process, by day: the salt never changes once drawn. A few days: the
# caps' windows that span midnight still use the day before's (reports.counting).
_salts: dict[date, str] = {}
_SALTS_KEPT = 3


def salt_for_day(day: date) -> str:
    salt = _salts.get(day)
    if salt is None:
        try:
            with transaction.atomic():
                salt = ReporterSalt.objects.get_or_create(
                    day=day, defaults={"salt": secrets.token_hex(32)}
                )[0].salt
        except IntegrityError:
            # Another process drew the day's salt at the same instant: use theirs.
            salt = ReporterSalt.objects.get(day=day).salt
        for old in sorted(_salts)[: max(len(_salts) - _SALTS_KEPT + 1, 0)]:
            del _salts[old]
        _salts[day] = salt
    return salt


def reporter_fingerprint(*, address: str, user_agent: str, day: date) -> str:
    return fingerprint_with(salt_for_day(day), address, user_agent)


def fingerprint_with(salt: str, address: str, user_agent: str) -> str:
    """The fingerprint under a given salt; user_agent "" gives the address's own hash."""
    message = f"{address}|{user_agent}".encode("utf-8", "replace")
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


def purge_salts_before(day: date) -> int:
    """Delete salts older than the day before `day`; returns how many were deleted."""
    _salts.clear()
    deleted, _ = ReporterSalt.objects.filter(day__lt=day - timedelta(days=1)).delete()
    return deleted
