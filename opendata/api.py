from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opendata.selectors import BUCKETS, History
from opendata.serializers import HistoryQuerySerializer, HistoryRowSerializer


class HistoryPagination(PageNumberPagination):
    # A week of 15-minute buckets for one service is 672 rows: a page holds most of it.
    page_size = 1000


class HistoryApi(APIView):
    pagination_class = HistoryPagination

    @extend_schema(
        parameters=[HistoryQuerySerializer],
        responses=HistoryRowSerializer(many=True),
        summary="Report history of several services at once: count, baseline and threshold "
        "per service and bucket, ordered by service then time; paginated",
    )
    def get(self, request: Request) -> Response:
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        history = History(
            data["services"],
            since=data["since"],
            until=data["until"],
            bucket_minutes=BUCKETS[data["bucket"]],
        )
        paginator = HistoryPagination()
        page = paginator.paginate_queryset(history, request, view=self)
        return paginator.get_paginated_response(HistoryRowSerializer(page, many=True).data)
