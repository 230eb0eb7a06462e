from __future__ import annotations

import io

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.asgi import MAX_JSON_DEPTH, json_depth_exceeds
from common.throttling import REPORT_THROTTLES
from reports.serializers import ReportInputSerializer, ReportOutputSerializer
from reports.services import report_create, reporter_from

REPORT_BODY_MAX_BYTES = 4096


class SmallJSONParser(JSONParser):
    """JSON, refused before parsing when larger than a report can possibly be.

    DRF reads the body stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply.
    """

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        if stream is None:
            raise ParseError("Empty body: send a JSON object.")
        body = stream.read(REPORT_BODY_MAX_BYTES + 1)
        if len(body) > REPORT_BODY_MAX_BYTES:
            raise ParseError(f"Request body too large: at most {REPORT_BODY_MAX_BYTES} bytes.")
        if json_depth_exceeds(body):  # the intake's bound too (common.asgi)
            raise ParseError(f"JSON parse error - JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return super().parse(io.BytesIO(body), media_type, parser_context)


class ReportCreateApi(APIView):
    parser_classes = [SmallJSONParser]
    throttle_classes = list(REPORT_THROTTLES)

    @extend_schema(
        request=ReportInputSerializer,
        responses={201: ReportOutputSerializer},
        summary="Report a problem with a service",
    )
    def post(self, request: Request) -> Response:
        serializer = ReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = report_create(
            service=data["service"],
            problem_type=data["problem_type"],
            country=data["country"],
            comment=data["comment"],
            reporter=reporter_from(request),
        )
        return Response(ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)
