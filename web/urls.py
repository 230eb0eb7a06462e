from django.urls import path

from web import feeds, report_form, views
from web.page_cache import cached_page

app_name = "outages"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/<slug:slug>/", views.service_page, name="service"),
    path("status/<slug:slug>/report/", report_form.report_submit, name="report"),
    path("status/<slug:slug>/badge.svg", views.badge, name="badge"),
    path("status/<slug:slug>/feed/", cached_page(feeds.ServiceIncidentFeed()), name="service-feed"),
    path(
        "status/<slug:slug>/feed/atom/",
        cached_page(feeds.ServiceIncidentAtomFeed()),
        name="service-atom",
    ),
    path("incidents/feed/", cached_page(feeds.IncidentFeed()), name="incident-feed"),
    path("incidents/feed/atom/", cached_page(feeds.IncidentAtomFeed()), name="incident-atom"),
    path("incidents/<int:pk>/", views.incident_page, name="incident"),
]
