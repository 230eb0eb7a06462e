"""The subscribe form behind every service page and each subscription's management page.

No CSRF token: the subscribe form must work on pages served without one (cached pages), and
it cannot be abused across sites beyond what anyone can do directly: an email subscription
does nothing until the address confirms, webhooks are signed, and both are rate-limited.
The management pages are reached by a secret link, which a forging site does not know.
"""

from __future__ import annotations

import json
import logging
import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.request import Request

from alerts import services, signing
from alerts.forms import ManageForm, SubscribeForm
from alerts.models import Channel, Delivery, MinSeverity, Subscription
from alerts.throttling import SUBSCRIBE_THROTTLES
from common.clients import client_of_request
from outages import selectors

log = logging.getLogger(__name__)


def too_many(request: HttpRequest) -> HttpResponse | None:
    for throttle in (t() for t in SUBSCRIBE_THROTTLES):
        if not throttle.allow_request(Request(request), None):
            wait = int(throttle.wait() or 60)
            response = HttpResponse(
                _("Too many subscriptions from your network. Please try again in %d seconds.")
                % wait,
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
    return None


@csrf_exempt
@require_POST
@never_cache
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(selectors.service_list(), slug=slug)
    form = SubscribeForm(request.POST, service=service)
    if not form.is_valid():
        return render(
            request, "alerts/subscribe_result.html", {"service": service, "form": form}, status=400
        )
    refused = too_many(request)
    if refused is not None:
        return refused
    created = services.subscription_create(
        service=service,
        country=form.cleaned_data["country"],
        email=form.cleaned_data["email"],
        webhook_url=form.cleaned_data["webhook_url"],
        events=form.cleaned_data["events"],
        language=translation.get_language(),
        extra_services=form.cleaned_data.get("also", []),
        min_severity=form.cleaned_data["min_severity"] or MinSeverity.OUTAGE,
        requester=client_of_request(request.META),
    )
    # The page links to this very host (SITE_URL is for mails and webhooks, sent elsewhere).
    manage_link = request.build_absolute_uri(
        reverse("alerts:manage", args=[created.subscription.token])
    )
    return render(
        request,
        "alerts/subscribe_result.html",
        {"service": service, "created": created, "manage_link": manage_link},
        status=201,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscription = get_object_or_404(Subscription.objects.select_related("service"), token=token)
    form = ManageForm(
        initial={"events": subscription.events, "min_severity": subscription.min_severity}
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "confirm":
            services.subscription_confirm(subscription)
            if subscription.channel != Channel.WEBHOOK:  # a webhook is confirmed by its endpoint
                messages.success(request, _("Confirmed: you will get alerts from now on."))
        elif action in ("pause", "resume"):
            services.subscription_update(subscription, paused=action == "pause")
        elif action == "delete":
            return unsubscribe(request, token)
        elif action == "save":
            form = ManageForm(request.POST)
            if not form.is_valid():
                return render(
                    request,
                    "alerts/manage.html",
                    {"subscription": subscription, "form": form},
                    status=400,
                )
            services.subscription_update(
                subscription,
                events=form.cleaned_data["events"],
                min_severity=form.cleaned_data["min_severity"] or None,
            )
            messages.success(request, _("Saved."))
        else:
            return HttpResponse(status=400)
        return redirect("alerts:manage", token=token)
    return render(request, "alerts/manage.html", {"subscription": subscription, "form": form})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def inbox(request: HttpRequest, token: str) -> HttpResponse:
    """The page a confirmation mail links to: every alert asked for that inbox, the ones
    asked after the mail too (a victim's request is never lost behind an attacker's mails).
    Each pending one is confirmed by its own button; nothing is confirmed by opening it."""
    key = services.inbox_key_from(token)
    if key is None:
        return render(request, "alerts/inbox.html", {"expired": True}, status=404)
    if request.method == "POST":
        pk = request.POST.get("subscription", "")
        subscription = get_object_or_404(
            Subscription, pk=int(pk) if pk.isdigit() and len(pk) < 19 else 0, mailbox_key=key
        )
        services.subscription_confirm(subscription)
        messages.success(request, _("Confirmed: you will get alerts from now on."))
        return redirect("alerts:manage", token=subscription.token)
    subscriptions = services.inbox_subscriptions(key)
    return render(request, "alerts/inbox.html", {"subscriptions": subscriptions})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners follow links); POST deletes, also as RFC 8058's one-click."""
    subscription = get_object_or_404(Subscription.objects.select_related("service"), token=token)
    if request.method == "GET":
        return render(request, "alerts/unsubscribe.html", {"subscription": subscription})
    service = subscription.service
    services.subscription_delete(subscription)
    return render(request, "alerts/unsubscribed.html", {"service": service})


@csrf_exempt
@require_POST
def demo_receiver(request: HttpRequest) -> HttpResponse:
    """The demo's webhook target (mounted only with DEBUG): checks the signature as a real
    receiver would and logs the alert, so a newcomer sees one fire in `make run`."""
    delivery_id = request.headers.get("X-Opendown-Delivery", "")
    delivery = (
        Delivery.objects.select_related("subscription").filter(pk=int(delivery_id)).first()
        if delivery_id.isdigit() and len(delivery_id) < 19
        else None
    )
    secret = delivery.subscription.secret if delivery else ""
    body = request.body
    valid = signing.verify(secret, body, request.headers.get(signing.HEADER, ""), now=time.time())
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict) and payload.get("type") == services.VERIFICATION_EVENT:
        # A webhook subscribed through the demo's form: want its alerts (a real receiver would
        # first check the signature with the secret it was shown when subscribing).
        log.warning("Demo webhook receiver: answering a verification request")
        return JsonResponse({"challenge": str(payload.get("challenge", ""))})
    text = payload.get("text", "") if isinstance(payload, dict) else ""
    log.warning("Demo webhook receiver: %s (signature %s)", text, "valid" if valid else "INVALID")
    return HttpResponse(status=204 if valid else 400)
