from __future__ import annotations

from rest_framework import serializers

from common.queries import QuerySerializer


class LagQuerySerializer(QuerySerializer):
    days = serializers.IntegerField(min_value=1, max_value=3650, default=90)


class LagIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField()
    started_at = serializers.DateTimeField()
    acknowledgement = serializers.CharField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledgement_lag_minutes = serializers.IntegerField(allow_null=True)


class VendorLagSerializer(serializers.Serializer):
    vendor = serializers.CharField()
    status_page = serializers.CharField()
    median_lag_minutes = serializers.FloatField(
        allow_null=True, help_text="Median minutes from crowd detection to acknowledgement."
    )
    acknowledged = serializers.IntegerField()
    never_acknowledged = serializers.IntegerField()
    incidents = LagIncidentSerializer(many=True)


def vendor_rows(ranking) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        {
            "vendor": row.page.name,
            "status_page": row.page.url,
            "median_lag_minutes": row.median_lag_minutes,
            "acknowledged": row.acknowledged,
            "never_acknowledged": row.never,
            "incidents": [
                {
                    "id": incident.pk,
                    "service": incident.service.slug,
                    "started_at": incident.started_at,
                    "acknowledgement": ack.state,
                    "acknowledged_at": ack.acknowledged_at,
                    "acknowledgement_lag_minutes": ack.lag_minutes,
                }
                for incident, ack in row.incidents
            ],
        }
        for row in ranking
    ]
