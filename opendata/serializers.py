from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from common.queries import QuerySerializer
from opendata.selectors import BUCKETS
from outages.models import Service
from reports.models import RollupCoarsening

MAX_SERVICES = 20
MAX_WINDOW = timedelta(days=366)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class HistoryQuerySerializer(QuerySerializer):
    services = serializers.CharField(
        max_length=2000, help_text=f"Comma-separated service slugs (at most {MAX_SERVICES})."
    )
    since = serializers.DateTimeField(
        required=False, help_text="Start (ISO 8601, UTC); default: 24 hours before until."
    )
    until = serializers.DateTimeField(required=False, help_text="End; default: now.")
    bucket = serializers.ChoiceField(choices=list(BUCKETS), default="15m")

    def validate_services(self, value: str) -> list[Service]:
        slugs = list(dict.fromkeys(s.strip() for s in value.split(",") if s.strip()))
        if not slugs:
            raise serializers.ValidationError("Name at least one service.")
        if len(slugs) > MAX_SERVICES:
            raise serializers.ValidationError(f"At most {MAX_SERVICES} services at once.")
        found = Service.objects.in_bulk(slugs, field_name="slug")
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown services: {', '.join(unknown)}.")
        return [found[slug] for slug in slugs]

    def validate(self, attrs: dict) -> dict:
        now = timezone.now()
        until = attrs.get("until") or now
        since = attrs.get("since") or until - timedelta(hours=24)
        if not EARLIEST <= since < until <= now + timedelta(days=1):
            raise serializers.ValidationError(
                {"since": ["Need 2000-01-01 <= since < until <= tomorrow."]}
            )
        coarsened = (
            RollupCoarsening.objects.filter(pk=1).values_list("coarsened_before", flat=True).first()
        )
        if attrs.get("bucket", "15m") == "15m" and coarsened and since < coarsened:
            # Older minute rows were merged into one row per hour (reports.retention).
            raise serializers.ValidationError(
                {"bucket": [f"Before {coarsened.isoformat()} counts are hourly: use 1h or 1d."]}
            )
        if until - since > MAX_WINDOW:
            raise serializers.ValidationError(
                {"until": [f"At most {MAX_WINDOW.days} days per request."]}
            )
        return {**attrs, "since": since, "until": until}


class HistoryRowSerializer(serializers.Serializer):
    service = serializers.CharField()
    start = serializers.DateTimeField()
    count = serializers.IntegerField(
        allow_null=True,
        help_text="Counted reports in the bucket; null when 1 to 4 (small counts are suppressed: "
        "one person's reports are not published).",
    )
    baseline = serializers.FloatField(allow_null=True, help_text="Expected reports.")
    threshold = serializers.FloatField(
        allow_null=True, help_text="Reports that would be significant."
    )
    partial = serializers.BooleanField(
        help_text="True for the bucket holding now: still filling, its count is so far."
    )
