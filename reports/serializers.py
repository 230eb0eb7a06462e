from __future__ import annotations

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from outages.models import Service
from reports.models import COMMENT_MAX_LENGTH, Report


class ReportInputSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=60)
    problem = serializers.SlugField(max_length=40)
    country = CountryField()
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict) -> dict:
        service = Service.objects.filter(slug=attrs["service"]).first()
        if service is None:
            raise serializers.ValidationError(
                {"service": [_("Unknown service '%s'.") % attrs["service"]]}
            )
        problem_type = service.problem_types.filter(slug=attrs["problem"]).first()
        if problem_type is None:
            offered = ", ".join(service.problem_types.values_list("slug", flat=True))
            raise serializers.ValidationError(
                {
                    "problem": [
                        _("%(service)s offers these problems: %(offered)s.")
                        % {"service": service.name, "offered": offered}
                    ]
                }
            )
        attrs["service"] = service
        attrs["problem_type"] = problem_type
        return attrs


class ReportOutputSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    problem = serializers.SlugRelatedField(source="problem_type", slug_field="slug", read_only=True)
    country = CountryField()
    counted = serializers.BooleanField(
        help_text="False for a repeat by the same reporter within the dedupe window: "
        "stored, but not counted."
    )

    class Meta:
        model = Report
        fields = ["id", "service", "problem", "country", "comment", "counted", "created_at"]
