"""The admin login behind a per-client throttle: password guessing gets a 429."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from common.throttling import AdminLoginThrottle


def admin_login(request: HttpRequest) -> HttpResponse:
    # Only attempts (POST) are counted: showing the form costs a guesser nothing.
    if request.method == "POST":
        throttle = AdminLoginThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60)
            response = HttpResponse(
                f"Too many login attempts. Please try again in {wait} seconds.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
    return admin.site.login(request)
