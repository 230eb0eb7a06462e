"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret.

The timestamp is signed too, so a captured delivery cannot be replayed later: a receiver
checks the signature and refuses a timestamp older than a few minutes (`verify`).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Opendown-Signature"
# A receiver refuses deliveries signed longer ago than this (clock skew plus transit).
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value: "t=<unix seconds>,v1=<hex HMAC-SHA256>"."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float) -> bool:
    """True when `header` signs `body` with `secret` no more than TOLERANCE_SECONDS ago."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        expected = sign(secret, body, timestamp).split("v1=", 1)[1]
        signature = parts["v1"]
    except (KeyError, ValueError):
        return False
    fresh = abs(now - timestamp) <= TOLERANCE_SECONDS
    return fresh and hmac.compare_digest(expected, signature)
