from __future__ import annotations

from rest_framework import serializers

from common.queries import QuerySerializer
from official import selectors


class LagQuerySerializer(QuerySerializer):
    days = serializers.IntegerField(min_value=1, max_value=3650, default=90)


class LagIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField()
    started_at = serializers.DateTimeField()
    acknowledgement = serializers.CharField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledgement_lag_minutes = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField(help_text="Still going on: its clock is running.")
    minutes_since_detection = serializers.IntegerField(
        help_text="Minutes from the crowd's detection to now (to the end, once over)."
    )
    acknowledgement_clock = serializers.CharField(
        help_text='The clock in words, e.g. "OpenAI has not acknowledged it after 27 min."'
    )


class VendorLagSerializer(serializers.Serializer):
    vendor = serializers.CharField()
    status_page = serializers.CharField()
    median_lag_minutes = serializers.FloatField(
        allow_null=True, help_text="Median minutes from crowd detection to acknowledgement."
    )
    acknowledged = serializers.IntegerField()
    never_acknowledged = serializers.IntegerField()
    never_acknowledged_share = serializers.FloatField(
        allow_null=True,
        help_text="Share (0-1) of the crowd's ended incidents with a known outcome that the "
        "vendor never acknowledged; null when there is none.",
    )
    pending = serializers.IntegerField(help_text="Incidents going on, not acknowledged yet.")
    incidents = LagIncidentSerializer(many=True)


def vendor_rows(ranking) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        {
            "vendor": row.page.name,
            "status_page": row.page.url,
            "median_lag_minutes": row.median_lag_minutes,
            "acknowledged": row.acknowledged,
            "never_acknowledged": row.never,
            "never_acknowledged_share": row.never_share,
            "pending": row.pending,
            "incidents": [
                {
                    "id": incident.pk,
                    "service": incident.service.slug,
                    "started_at": incident.started_at,
                    "acknowledgement": ack.state,
                    "acknowledged_at": ack.acknowledged_at,
                    "acknowledgement_lag_minutes": ack.lag_minutes,
                    "active": incident.ended_at is None,
                    "minutes_since_detection": ack.crowd_minutes,
                    "acknowledgement_clock": selectors.clock_text(ack),
                }
                for incident, ack in row.incidents
            ],
        }
        for row in ranking
    ]
