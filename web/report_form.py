from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.throttling import ReportThrottle
from outages import selectors
from reports.forms import ReportForm
from reports.services import report_create, reporter_from
from web.views import render_service_page


# No CSRF token: the page holding this form is one cached rendering shared by every reader
# (web.page_cache), and a per-visitor token would make each page view a Set-Cookie that no
# cache may share. CSRF guards a logged-in user's authority; this form is anonymous and grants
# none: a forged post is just another anonymous report, already bounded by the honeypot, the
# per-address and per-network rate limits, the dedupe window and the per-address counting cap
# (the same rules as the JSON API, which has never used CSRF).
@csrf_exempt
@require_POST
def report_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """The plain HTML form post behind "I have a problem with X" (works without JavaScript)."""
    service = get_object_or_404(selectors.service_list(), slug=slug)
    throttle = ReportThrottle()
    if not throttle.allow_request(request, None):
        wait = int(throttle.wait() or 60)
        response = HttpResponse(
            _("Too many reports from your network. Please try again in %d seconds.") % wait,
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(wait)
        return response
    form = ReportForm(request.POST, service=service)
    if not form.is_valid():
        return render_service_page(request, service, form=form, status=400)
    report = report_create(
        service=service,
        problem_type=form.problem_types[form.cleaned_data["problem"]],
        country=form.cleaned_data["country"],
        comment=form.cleaned_data["comment"],
        reporter=reporter_from(request),
    )
    if report.counted:
        messages.success(
            request,
            # The problem's name stands apart, in its own words: "a %(problem)s problem" is
            # ungrammatical for most names ("a App problem") and in Hindi and Bengali.
            _("Thank you: your report of a problem with %(service)s (%(problem)s) is counted.")
            % {"problem": _(report.problem_type.name), "service": service.name},
        )
    else:
        messages.info(
            request,
            _(
                "Thank you: you already reported %(service)s in the last minutes, so this "
                "report is kept but not counted again."
            )
            % {"service": service.name},
        )
    return redirect("outages:service", slug=service.slug)
