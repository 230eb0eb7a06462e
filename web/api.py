from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.buckets import window_start
from detection.selectors import baseline_learnt, detection_freshness, series_with_band
from mentions import selectors as mentions
from official import selectors as official
from outages import selectors
from outages.models import Service
from reports import selectors as counts
from web import snapshots
from web.filters import IncidentFilter, ServiceFilter
from web.page_cache import cache_publicly
from web.pagination import StatusPagination
from web.serializers import (
    BUCKETS,
    IncidentSerializer,
    SeriesPointSerializer,
    SeriesQuerySerializer,
    ServiceDetailSerializer,
    ServiceListSerializer,
)


class ServiceListApi(ListAPIView):
    serializer_class = ServiceListSerializer
    filterset_class = ServiceFilter
    pagination_class = StatusPagination

    def list(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        snapshot = snapshots.cached_answer(
            snapshots.request_key(request),
            lambda: {
                **super(ServiceListApi, self).list(request, *args, **kwargs).data,
                **_freshness_fields(),
            },
        )
        return Response(snapshot.body())

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.service_list()

    def get_serializer_context(self) -> dict:
        return {
            **super().get_serializer_context(),
            "reports_last_hour": self._last_hour,
            "official": self._official,
            "mentions": self._mentions,
        }

    def paginate_queryset(self, queryset):  # type: ignore[no-untyped-def]
        page = super().paginate_queryset(queryset)
        # Counts for this page only, in one query over the roll-up.
        now = timezone.now()
        self._last_hour = counts.report_totals(page, start=window_start(now, 60), end=now)
        self._official = official.official_statuses([service.pk for service in page])
        self._mentions = mentions.mention_summaries([service.pk for service in page], now)
        return page


class ServiceDetailApi(APIView):
    @extend_schema(responses=ServiceDetailSerializer)
    def get(self, request: Request, slug: str) -> Response:
        snapshot = snapshots.cached_answer(
            snapshots.request_key(request), lambda: self.detail(slug)
        )
        return Response(snapshot.body())

    def detail(self, slug: str) -> dict:
        service = get_object_or_404(selectors.service_list(), slug=slug)
        now = timezone.now()
        last_hour = window_start(now, 60)
        context = {
            "reports_last_hour": counts.report_totals([service], start=last_hour, end=now),
            "reports_last_15m": counts.report_totals(
                [service], start=window_start(now, 15), end=now
            )[service.pk],
            "status": selectors.global_status(service),
            "top_problems": counts.top_problems(service, start=last_hour, end=now),
            "top_regions": counts.top_regions(service, start=last_hour, end=now),
            "active_incident": selectors.active_incident(service),
            "freshness": detection_freshness(now),
            "mentions": mentions.mention_summaries([service.pk], now),
            "baseline_learnt": baseline_learnt(service.pk, ""),
        }
        return ServiceDetailSerializer(service, context=context).data


def _freshness_fields() -> dict:
    freshness = detection_freshness()
    return {
        "detected_at": freshness.detected_at,
        "detection_behind": freshness.detection_behind,
    }


class SharedCacheMixin:
    """Successful answers are the same for everyone: shared caches (the proxy) may keep them
    as long as a page (web.page_cache)."""

    def finalize_response(self, request, response, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        return cache_publicly(response)


class ServiceReportSeriesApi(SharedCacheMixin, APIView):
    @extend_schema(
        parameters=[SeriesQuerySerializer],
        responses=SeriesPointSerializer(many=True),
        summary="Reports per time bucket, oldest first; empty buckets are 0",
    )
    def get(self, request: Request, slug: str) -> Response:
        service = get_object_or_404(Service, slug=slug)
        query = SeriesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hours, bucket = query.validated_data["hours"], BUCKETS[query.validated_data["bucket"]]
        now = timezone.now()
        points = series_with_band(
            service,
            start=counts.series_start(now, hours=hours, bucket_minutes=bucket),
            end=now,
            bucket_minutes=bucket,
            country=query.validated_data["country"],
        )
        return Response(SeriesPointSerializer(points, many=True).data)


class IncidentListApi(SharedCacheMixin, ListAPIView):
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.incident_list()
