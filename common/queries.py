"""Query parameters given but empty (`?since=`, `?bucket=`) are a 400 with the field's message.

DRF and django-filter read an empty query value as "not given" and quietly apply the default
or no filter; the OpenAPI schema, though, allows no empty date, number or choice, so a client
that sends one has made a mistake it should be told about (issue 25: schemathesis found the
API accepting what its schema refuses). Free-text values (a search, a slug filter) may still
be empty: their schema is a plain string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

BLANK = "This field may not be blank."


def blank_errors(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, list[str]]:
    """{name: [message]} for each of `names` present in `data` with an empty value."""
    return {name: [BLANK] for name in names if name in data and data.get(name) == ""}


class QuerySerializer(serializers.Serializer):
    """A query-parameter serializer that refuses a present but empty value of any field that
    does not allow blanks (instead of using its default)."""

    def to_internal_value(self, data: Any) -> Any:
        refused = blank_errors(
            data,
            (
                name
                for name, field in self.fields.items()
                if not field.read_only and not getattr(field, "allow_blank", False)
            ),
        )
        if refused:
            raise serializers.ValidationError(refused)
        return super().to_internal_value(data)
