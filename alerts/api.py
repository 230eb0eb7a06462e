from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.serializers import SubscriptionCreateSerializer, SubscriptionSerializer
from alerts.services import subscription_create
from alerts.throttling import SUBSCRIBE_THROTTLES
from common.clients import client_of_request
from common.throttling import AnonymousClientThrottle


class SubscriptionCreateApi(APIView):
    throttle_classes = [AnonymousClientThrottle, *SUBSCRIBE_THROTTLES]

    @extend_schema(
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionSerializer},
        summary="Subscribe an email address (double opt-in) or a signed webhook to alerts",
    )
    def post(self, request: Request) -> Response:
        data = SubscriptionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        created = subscription_create(
            **{k: v for k, v in fields.items() if k != "services"},
            extra_services=fields.get("services", []),
            language=translation.get_language(),
            requester=client_of_request(request.META),
        )
        context = {"secret": created.secret, "manage_url": created.manage_url}
        return Response(
            SubscriptionSerializer(created.subscription, context=context).data,
            status=status.HTTP_201_CREATED,
        )
