from __future__ import annotations

from collections.abc import Mapping

from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from outages.models import ProblemType, Service
from reports.models import COMMENT_MAX_LENGTH, Report
from reports.validation import catalogue_entry, validate_report


class ReportInputSerializer(serializers.Serializer):
    """The request body as documented; validation itself is reports.validation's, the same
    function the ASGI intake and the HTML form call."""

    service = serializers.SlugField(max_length=60)
    problem = serializers.SlugField(max_length=40)
    country = CountryField()
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )

    def to_internal_value(self, data: object) -> dict:
        slug = data.get("service") if isinstance(data, Mapping) else None
        catalogue = catalogue_entry(slug.strip()) if isinstance(slug, str) else {}
        report, errors = validate_report(data, catalogue)
        if errors:
            raise serializers.ValidationError(errors)
        assert report is not None
        return {
            "service": Service.objects.get(pk=report.service_id),
            "problem_type": ProblemType.objects.get(pk=report.problem_type_id),
            "country": report.country,
            "comment": report.comment,
        }


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
