"""Small pieces every ASGI fast path in front of Django needs: the body, JSON answers, the Host
check and bounded JSON parsing (the same limits as the DRF parser)."""

from __future__ import annotations

import json

from rest_framework.utils.json import strict_constant


class JSONTooDeep(ValueError):
    pass


# A report is one flat object (depth 1); anything nested deeper than this is refused before
# parsing, so a body of nested brackets costs a count, not a RecursionError.
MAX_JSON_DEPTH = 8


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if arrays/objects nest deeper than `limit` (outside strings)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot nest deeper than the brackets it has: the common, fast case
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def loads_bounded(body: bytes) -> object:
    """json.loads as DRF's JSONParser does it (STRICT_JSON: NaN and Infinity are not JSON,
    ValueError), refusing bodies nested deeper than MAX_JSON_DEPTH (JSONTooDeep)."""
    if json_depth_exceeds(body):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    return json.loads(body, parse_constant=strict_constant)


def header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


def host_allowed(scope: dict) -> bool:
    """The Host header checked against ALLOWED_HOSTS, as Django's request.get_host() does."""
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    raw = header(scope, b"host")
    if raw is None:
        return False
    domain, _port = split_domain_port(raw.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:  # Django's own fallback in debug
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def trusted_scheme(scope: dict) -> str:
    """The scheme as Django's request.scheme: X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER)
    only when a proxy is configured to set it, else the connection's own."""
    from django.conf import settings

    if settings.SECURE_PROXY_SSL_HEADER:
        name, secure = settings.SECURE_PROXY_SSL_HEADER
        raw = header(scope, name.removeprefix("HTTP_").lower().replace("_", "-").encode())
        if raw is not None:
            return "https" if raw.decode("latin-1").split(",")[0].strip() == secure else "http"
    return scope.get("scheme", "http")


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
