from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from outages import selectors
from outages.models import Level, Service
from reports.forms import ReportForm, country_from_accept_language


def home(request: HttpRequest) -> HttpResponse:
    services = list(selectors.service_list())
    now = timezone.now()
    last_hour = selectors.report_totals(services, start=selectors.window_start(now, 60), end=now)
    gravity = {Level.OUTAGE: 0, Level.POSSIBLE: 1, Level.OK: 2}
    for service in services:
        service.reports_last_hour = last_hour[service.pk]
    services.sort(key=lambda s: (gravity[s.level], -s.reports_last_hour, s.name))
    return render(request, "outages/home.html", {"services": services})


def service_page(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(selectors.service_list(), slug=slug)
    return render_service_page(request, service)


def render_service_page(
    request: HttpRequest, service: Service, *, form: ReportForm | None = None, status: int = 200
) -> HttpResponse:
    """The service page; `service` comes from selectors.service_list() (it carries `level`)."""
    now = timezone.now()
    last_hour = selectors.window_start(now, 60)
    if form is None:
        form = ReportForm(
            service=service,
            initial={
                "country": country_from_accept_language(request.headers.get("Accept-Language", ""))
            },
        )
    context = {
        "service": service,
        "children": list(service.children.all()),
        "status": selectors.global_status(service),
        "reports_last_hour": selectors.report_totals([service], start=last_hour, end=now)[
            service.pk
        ],
        "reports_last_15m": selectors.report_totals(
            [service], start=selectors.window_start(now, 15), end=now
        )[service.pk],
        "top_problems": selectors.top_problems(service, start=last_hour, end=now),
        "top_regions": selectors.top_regions(service, start=last_hour, end=now),
        "active_incident": selectors.active_incident(service),
        "incidents": selectors.incident_list().filter(service=service)[:10],
        "form": form,
    }
    return render(request, "outages/service.html", context, status=status)
