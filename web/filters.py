from __future__ import annotations

from datetime import UTC

import django_filters
from django.db.models import Q, QuerySet
from django_countries import countries
from rest_framework.exceptions import ValidationError

from common.queries import blank_errors
from outages.models import Category, Incident, Level, Service


class StrictFilterSet(django_filters.FilterSet):
    """A filter given but empty (`?category=`) is a 400 with the field's message, not "no
    filter" (common.queries); free-text filters (CharFilter) may be empty."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        strict = [
            n for n, f in self.filters.items() if not isinstance(f, django_filters.CharFilter)
        ]
        for name, messages in blank_errors(self.data, strict).items():
            self.form.add_error(name, messages)
            valid = False
        return valid


class ServiceFilter(StrictFilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    country = django_filters.ChoiceFilter(
        choices=list(countries), method="filter_country", help_text="Popular in this country."
    )
    status = django_filters.ChoiceFilter(field_name="level", choices=Level.choices)
    search = django_filters.CharFilter(method="filter_search", help_text="Name or slug contains.")

    class Meta:
        model = Service
        fields = ["category", "country", "status", "search"]

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # CountryField(multiple=True) stores "IN,BD,US": codes are two letters between commas,
        # so a substring match on the code is exact.
        return queryset.filter(countries__contains=value)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class IncidentFilter(StrictFilterSet):
    service = django_filters.CharFilter(field_name="service__slug")
    active = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull")
    scope = django_filters.ChoiceFilter(
        choices=[("global", "global"), ("country", "country")],
        method="filter_scope",
        help_text="global: a service's worldwide incidents; country: per-country ones.",
    )
    country = django_filters.ChoiceFilter(choices=list(countries))
    since = django_filters.IsoDateTimeFilter(
        method="filter_since", help_text="Incidents still running at or started after this."
    )

    class Meta:
        model = Incident
        fields = ["service", "active", "since", "scope", "country"]

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(country="") if value == "global" else queryset.exclude(country="")

    def filter_since(self, queryset: QuerySet, name: str, value) -> QuerySet:  # type: ignore[no-untyped-def]
        # In UTC: PostgreSQL refuses offsets beyond +-15:59 that ISO 8601 allows (found by
        # schemathesis); a date that cannot be expressed in UTC is a client error.
        try:
            value = value.astimezone(UTC)
        except (OverflowError, ValueError) as error:
            raise ValidationError({"since": ["Out of the supported date range."]}) from error
        return queryset.filter(
            Q(started_at__gte=value) | Q(ended_at__isnull=True) | Q(ended_at__gte=value)
        )
