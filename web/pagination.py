from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

from web.serializers import AS_OF_HELP, DETECTED_AT_HELP, DETECTION_BEHIND_HELP, STALE_HELP


class StatusPagination(PageNumberPagination):
    """Pages of status answers, which also say whether they are the last known ones."""

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = [
            *paginated.get("required", []),
            "stale",
            "as_of",
            "detected_at",
            "detection_behind",
        ]
        paginated["properties"] = {
            **paginated["properties"],
            "stale": {"type": "boolean", "description": STALE_HELP},
            "as_of": {"type": "string", "format": "date-time", "description": AS_OF_HELP},
            "detected_at": {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": DETECTED_AT_HELP,
            },
            "detection_behind": {"type": "boolean", "description": DETECTION_BEHIND_HELP},
        }
        return paginated
