"""The embeddable status badge: a flat, shields.io-like SVG with the status in words."""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from outages.models import Level

COLOURS = {Level.OK: "#1a7f37", Level.POSSIBLE: "#9a6700", Level.OUTAGE: "#c62828"}


# XML attribute text: quotes too, not just <>& (a service name with " must not add attributes).
ATTRIBUTE_ENTITIES = {'"': "&quot;", "'": "&apos;"}


def _text_width(text: str) -> int:
    # No font metrics on the server: ~7 px per character of 11 px Verdana is what shields.io
    # badges assume too, plus padding.
    return 7 * len(text) + 12


def status_badge(name: str, level: Level) -> str:
    """`name` | status word, coloured by level (the word carries the meaning, not the colour)."""
    words = {Level.OK: _("no problems"), Level.POSSIBLE: _("possible problems"),
             Level.OUTAGE: _("problems")}  # fmt: skip
    label, message = escape(name, ATTRIBUTE_ENTITIES), escape(str(words[level]), ATTRIBUTE_ENTITIES)
    left, right = _text_width(name), _text_width(str(words[level]))
    width = left + right
    title = escape(f"{name}: {words[level]}", ATTRIBUTE_ENTITIES)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<rect width="{left}" height="20" fill="#3d4450"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{COLOURS[level]}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{message}</text></g></svg>'
    )
