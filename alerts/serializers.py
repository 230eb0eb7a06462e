from __future__ import annotations

import ipaddress
import urllib.parse

from django.conf import settings
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from alerts.models import Channel, Event, MinSeverity, State, Subscription
from alerts.services import UnknownShape, channel_for_url
from common.outbound import address_is_public
from outages.models import Service

# One subscription, a family or a stack of services: a bound on the rows one request writes.
MAX_SERVICES = 50
LOCAL_SUFFIXES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def check_webhook_url(url: str) -> str:
    """Only http(s) URLs to public hosts. Names are not resolved here (no DNS lookup on a
    request path); every delivery resolves them and refuses a private address then."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as error:
        raise serializers.ValidationError("Enter a valid URL.") from error
    if parts.scheme not in ("http", "https") or not host:
        raise serializers.ValidationError("Enter an http or https URL.")
    if parts.username or parts.password:
        raise serializers.ValidationError("Credentials in the URL are not accepted.")
    try:
        channel_for_url(url)
    except UnknownShape as error:
        raise serializers.ValidationError(f"Enter a valid webhook URL: {error}.") from error
    if settings.ALERTS_ALLOW_PRIVATE_TARGETS:
        return url
    try:
        # Also the NAT64, 6to4 and mapped spellings of private addresses (common/outbound.py).
        private = not address_is_public(ipaddress.ip_address(host))
    except ValueError:  # a name
        private = host.endswith(LOCAL_SUFFIXES) or "." not in host
    if private:
        raise serializers.ValidationError("The URL must point to a public internet address.")
    return url


class SubscriptionCreateSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    country = CountryField(required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, max_length=254)
    webhook_url = serializers.URLField(required=False, max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices),
        required=False,
        allow_empty=False,
        max_length=len(Event.values),
        help_text="Which transitions to hear about; all three when absent.",
    )
    services = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        required=False,
        allow_empty=True,
        max_length=MAX_SERVICES,
        help_text="More services the same subscription covers, besides `service`.",
    )
    min_severity = serializers.ChoiceField(
        choices=MinSeverity.choices,
        default=MinSeverity.OUTAGE,
        help_text='The least severity to hear about. "possible" alerts only once the problems '
        "have lasted 15 minutes (or at once when they are an outage).",
    )

    def validate_webhook_url(self, url: str) -> str:
        return check_webhook_url(url)

    def validate_services(self, slugs: list[str]) -> list[Service]:
        # One message for the field (a list of messages per item would not match the schema).
        found = Service.objects.in_bulk(set(slugs), field_name="slug")
        unknown = sorted(set(slugs) - set(found))
        if unknown:
            raise serializers.ValidationError(f"Unknown services: {', '.join(unknown)}.")
        return [found[slug] for slug in dict.fromkeys(slugs)]

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("email")) == bool(attrs.get("webhook_url")):
            raise serializers.ValidationError(
                {"email": ["Give exactly one of email and webhook_url."]}
            )
        return attrs


class SubscriptionSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    services = serializers.SerializerMethodField(
        help_text="Every service it covers, `service` first."
    )
    country = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField(
        help_text='An email subscription always answers "pending" (a confirmation mail is on '
        "its way to the address): whether the address was already subscribed is not told."
    )
    secret = serializers.SerializerMethodField(
        help_text="HMAC-SHA256 key of the webhook's signatures; shown only in this answer."
    )
    manage_url = serializers.SerializerMethodField(
        help_text="The webhook's secret management link; email subscriptions get it by mail."
    )

    class Meta:
        model = Subscription
        fields = [
            "service",
            "services",
            "country",
            "channel",
            "events",
            "min_severity",
            "state",
            "secret",
            "manage_url",
        ]

    def get_services(self, subscription: Subscription) -> list[str]:
        return [s.slug for s in subscription.covered_services()]

    def get_state(self, subscription: Subscription) -> str:
        return State.PENDING if subscription.channel == Channel.EMAIL else subscription.state

    def get_country(self, subscription: Subscription) -> str | None:
        return subscription.country.code or None

    def get_secret(self, subscription: Subscription) -> str | None:
        return self.context.get("secret")

    def get_manage_url(self, subscription: Subscription) -> str | None:
        return self.context.get("manage_url")
