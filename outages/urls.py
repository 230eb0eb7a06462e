from django.urls import path

from outages import views
from reports import views as report_views

app_name = "outages"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/<slug:slug>/", views.service_page, name="service"),
    path("status/<slug:slug>/report/", report_views.report_submit, name="report"),
]
