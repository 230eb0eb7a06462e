from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone, translation
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.queries import QuerySerializer
from mentions import selectors as mentions
from official import selectors as official
from outages.models import Incident, Level, ProblemType, Service
from outages.selectors import related_incidents

# The series API's bucket sizes, in minutes.
BUCKETS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}

DETECTED_AT_HELP = (
    "When the status was computed: the end of the last minute the detector scored "
    "(null before its first cycle)."
)
DETECTION_BEHIND_HELP = (
    "True when detection has not run for over 3 minutes: the status may be out of date."
)
STALE_HELP = (
    "True while the database is unreachable: this is the last known answer, computed at as_of."
)
AS_OF_HELP = "When this answer was computed; answers are cached for a few seconds."


def _english(words: Callable[[], str]) -> str:
    with translation.override("en"):
        return words()


class ProblemTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemType
        fields = ["slug", "name"]


class OfficialIncidentSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    impact = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_null=True)


class OfficialStatusSerializer(serializers.Serializer):
    status_page = serializers.CharField(
        allow_null=True, help_text="The vendor's official status page; null when it has none."
    )
    state = serializers.ChoiceField(
        choices=[
            "no_official_status_page",
            "not_polled_yet",
            "not_machine_readable",
            "failing",
            "polled",
        ]
    )
    state_text = serializers.CharField(
        help_text='"no official status page", "not polled yet", or the status the page gives.'
    )
    page = serializers.CharField(allow_null=True, help_text="The vendor's status page's name.")
    url = serializers.CharField(allow_null=True, help_text="The document(s) polled.")
    format = serializers.CharField(allow_null=True)
    verified = serializers.BooleanField(
        allow_null=True, help_text="Whether the polled URL was found in a public source."
    )
    indicator = serializers.CharField(
        allow_null=True, help_text="The page's own indicator: none, minor, major, critical..."
    )
    description = serializers.CharField(allow_null=True)
    polled_at = serializers.DateTimeField(allow_null=True)
    latest_incident = OfficialIncidentSerializer(allow_null=True)


class MentionsSerializer(serializers.Serializer):
    # A plain string, not a second enum of Level's values (drf-spectacular would name the
    # same choice set twice): the values are the service's `status` values.
    state = serializers.CharField(
        help_text="ok, possible or outage: the detector's verdict on the posts alone, against "
        "their own baseline; 'possible' at most while the reports are quiet.",
    )
    posts_last_15m = serializers.IntegerField()
    posts_last_hour = serializers.IntegerField()
    expected_15m = serializers.FloatField(
        allow_null=True, help_text="Baseline posts per 15 minutes now (null until scored)."
    )
    scored_at = serializers.DateTimeField(allow_null=True)


NO_MENTIONS = {
    "state": Level.OK,
    "posts_last_15m": 0,
    "posts_last_hour": 0,
    "expected_15m": None,
    "scored_at": None,
}


class ServiceListSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    status = serializers.ChoiceField(source="level", choices=Level.choices, read_only=True)
    reports_last_hour = serializers.SerializerMethodField()
    official = serializers.SerializerMethodField(
        help_text="The vendor's official status beside the crowd's (status_page null and state "
        "no_official_status_page when the vendor publishes none)."
    )
    mentions = serializers.SerializerMethodField(
        help_text="Social posts saying the service is down (Bluesky, Mastodon): counts and "
        "the detector's state."
    )

    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "parent",
            "category",
            "company",
            "status",
            "reports_last_hour",
            "official",
            "mentions",
        ]

    def get_reports_last_hour(self, service: Service) -> int:
        return self.context["reports_last_hour"].get(service.pk, 0)

    @extend_schema_field(OfficialStatusSerializer)
    def get_official(self, service: Service) -> dict:
        known = self.context.get("official", {}).get(service.pk)
        found = known if known is not None else official.official_status(service.pk)
        return OfficialStatusSerializer(found).data

    @extend_schema_field(MentionsSerializer)
    def get_mentions(self, service: Service) -> dict:
        found = self.context.get("mentions", {}).get(service.pk, NO_MENTIONS)
        return MentionsSerializer(found).data


class ShareSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(help_text="Percent of the reports in the window.")


class RegionShareSerializer(serializers.Serializer):
    country = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField()


ACKNOWLEDGEMENT_STATES = ["no_official_page", "acknowledged", "pending", "never", "unknown"]


class IncidentSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    country = CountryField(allow_blank=True, help_text="Blank for the service's worldwide series.")
    active = serializers.BooleanField(source="is_active")
    related = serializers.SerializerMethodField()
    acknowledged_at = serializers.SerializerMethodField(
        help_text="When the vendor's official status page first acknowledged this incident; "
        "null when it has not (see acknowledgement) or there is no official page."
    )
    acknowledgement_lag_minutes = serializers.SerializerMethodField(
        help_text="Minutes from the crowd's detection to that acknowledgement (negative: the "
        "vendor was first); null when not acknowledged or there is no official page."
    )
    mention_posts = serializers.SerializerMethodField(
        help_text="Social posts saying the service is down while the incident lasted."
    )
    acknowledgement = serializers.SerializerMethodField(
        help_text="no_official_page, acknowledged, pending (still going on), never (ended "
        "unacknowledged) or unknown (before the page was watched)."
    )
    minutes_since_detection = serializers.SerializerMethodField(
        help_text="The acknowledgement clock: minutes from the crowd's detection to now (to the "
        "end, once over)."
    )
    acknowledgement_clock = serializers.SerializerMethodField(
        help_text='The clock in words, e.g. "OpenAI has not acknowledged it after 27 min."'
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "service",
            "country",
            "severity",
            "active",
            "started_at",
            "peak_at",
            "peak_reports",
            "expected_at_peak",
            "ended_at",
            "top_problems",
            "top_countries",
            "related",
            "acknowledged_at",
            "acknowledgement_lag_minutes",
            "acknowledgement",
            "minutes_since_detection",
            "acknowledgement_clock",
            "mention_posts",
        ]

    def get_mention_posts(self, incident: Incident) -> int:
        return mentions.incident_mention_posts(
            service_id=incident.service_id,
            started_at=incident.started_at,
            ended_at=incident.ended_at,
        )

    def _acknowledgement(self, incident: Incident) -> dict:
        # Computed once per incident for the three fields below.
        if not hasattr(incident, "_acknowledgement"):
            found = official.acknowledgement(incident)
            incident._acknowledgement = {
                "state": found.state,
                "acknowledged_at": found.acknowledged_at,
                "lag_minutes": found.lag_minutes,
                "crowd_minutes": found.crowd_minutes,
                "clock": official.clock_text(found),
            }
        return incident._acknowledgement

    def get_acknowledged_at(self, incident: Incident) -> datetime | None:
        moment = self._acknowledgement(incident).get("acknowledged_at")
        # Text, as every other time in the answer (cached answers are rendered later).
        return None if moment is None else serializers.DateTimeField().to_representation(moment)

    def get_acknowledgement_lag_minutes(self, incident: Incident) -> int | None:
        return self._acknowledgement(incident).get("lag_minutes")

    @extend_schema_field(serializers.ChoiceField(choices=ACKNOWLEDGEMENT_STATES))
    def get_acknowledgement(self, incident: Incident) -> str:
        return self._acknowledgement(incident)["state"]

    def get_minutes_since_detection(self, incident: Incident) -> int:
        return self._acknowledgement(incident)["crowd_minutes"]

    def get_acknowledgement_clock(self, incident: Incident) -> str:
        return self._acknowledgement(incident)["clock"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "service": {"type": "string"},
                    "reason": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        }
    )
    def get_related(self, incident: Incident) -> list[dict]:
        return [
            {
                "id": other.pk,
                "service": other.service.slug,
                "reason": link.reason,
                # The API's words stay English, as before params existed.
                "detail": _english(link.detail_text),
            }
            for other, link in related_incidents(incident)
        ]


class ServiceDetailSerializer(ServiceListSerializer):
    problems = ProblemTypeSerializer(source="problem_types", many=True, read_only=True)
    children = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    countries = serializers.SerializerMethodField()
    baseline = serializers.SerializerMethodField(
        help_text="Expected reports per 15 minutes now (null until learnt)."
    )
    threshold = serializers.SerializerMethodField(
        help_text="Reports per 15 minutes that would be significant now (null until learnt)."
    )
    reports_last_15m = serializers.SerializerMethodField()
    top_problems = serializers.SerializerMethodField()
    top_regions = serializers.SerializerMethodField()
    active_incident = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField(help_text=STALE_HELP)
    as_of = serializers.SerializerMethodField(help_text=AS_OF_HELP)
    detected_at = serializers.SerializerMethodField(help_text=DETECTED_AT_HELP)
    detection_behind = serializers.SerializerMethodField(help_text=DETECTION_BEHIND_HELP)

    class Meta(ServiceListSerializer.Meta):
        fields = [
            *ServiceListSerializer.Meta.fields,
            "website",
            "status_page_url",
            "provider_tags",
            "countries",
            "children",
            "problems",
            "baseline",
            "threshold",
            "reports_last_15m",
            "top_problems",
            "top_regions",
            "active_incident",
            "official",
            "stale",
            "as_of",
            "detected_at",
            "detection_behind",
        ]

    def get_countries(self, service: Service) -> list[str]:
        return [c.code for c in service.countries]

    def _learnt_status(self):  # type: ignore[no-untyped-def]
        # No baseline is given before one is learnt from the service's own reports (the
        # engine's prior is not one: detection.selectors.baseline_learnt).
        return self.context["status"] if self.context.get("baseline_learnt", True) else None

    def get_baseline(self, service: Service) -> float | None:
        status = self._learnt_status()
        return None if status is None else status.expected_15m

    def get_threshold(self, service: Service) -> float | None:
        status = self._learnt_status()
        return None if status is None else status.threshold_15m

    def get_reports_last_15m(self, service: Service) -> int:
        return self.context["reports_last_15m"]

    @extend_schema_field(ShareSerializer(many=True))
    def get_top_problems(self, service: Service) -> list[dict]:
        return self.context["top_problems"]

    @extend_schema_field(RegionShareSerializer(many=True))
    def get_top_regions(self, service: Service) -> list[dict]:
        return self.context["top_regions"]

    def get_stale(self, service: Service) -> bool:
        # Set by the view when the answer is the last known one (web.snapshots).
        return False

    def get_as_of(self, service: Service) -> datetime:
        return timezone.now()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_detected_at(self, service: Service) -> datetime | None:
        return self.context["freshness"].detected_at

    def get_detection_behind(self, service: Service) -> bool:
        return self.context["freshness"].detection_behind

    @extend_schema_field(IncidentSerializer(allow_null=True))
    def get_active_incident(self, service: Service) -> dict | None:
        incident = self.context["active_incident"]
        return None if incident is None else IncidentSerializer(incident).data


class SeriesQuerySerializer(QuerySerializer):
    hours = serializers.IntegerField(min_value=1, max_value=24 * 30, default=24)
    bucket = serializers.ChoiceField(choices=list(BUCKETS), default="15m")
    country = CountryField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        buckets = attrs["hours"] * 60 // BUCKETS[attrs["bucket"]]
        if buckets > 3000:
            raise serializers.ValidationError(
                {
                    "bucket": [
                        f"{attrs['hours']} h in {attrs['bucket']} buckets is {buckets} "
                        "points; at most 3000: choose a larger bucket."
                    ]
                }
            )
        if buckets < 1:
            raise serializers.ValidationError({"hours": ["The window is shorter than one bucket."]})
        return attrs


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    count = serializers.IntegerField()
    baseline = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
