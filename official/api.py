from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from official import selectors
from official.serializers import LagQuerySerializer, VendorLagSerializer, vendor_rows


class AcknowledgementApi(APIView):
    @extend_schema(
        parameters=[LagQuerySerializer],
        responses=VendorLagSerializer(many=True),
        summary="Vendors ranked by median minutes between crowd detection and official "
        "acknowledgement, over the last `days` (90)",
    )
    def get(self, request: Request) -> Response:
        query = LagQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ranking = selectors.lag_ranking(days=query.validated_data["days"])
        return Response(VendorLagSerializer(vendor_rows(ranking), many=True).data)
