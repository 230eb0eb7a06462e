from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alerts import api as alerts_api
from config.admin_login import admin_login
from config.health import healthz
from config.readiness import readyz
from official import api as official_api
from opendata import api as opendata_api
from reports import api as reports_api
from web import api as web_api

api_v1 = [
    path("services/", web_api.ServiceListApi.as_view(), name="service-list"),
    path("services/<slug:slug>/", web_api.ServiceDetailApi.as_view(), name="service-detail"),
    path(
        "services/<slug:slug>/reports/",
        web_api.ServiceReportSeriesApi.as_view(),
        name="service-report-series",
    ),
    path("incidents/", web_api.IncidentListApi.as_view(), name="incident-list"),
    path("reports/", reports_api.ReportCreateApi.as_view(), name="report-create"),
    path("subscriptions/", alerts_api.SubscriptionCreateApi.as_view(), name="subscription-create"),
    path("acknowledgement/", official_api.AcknowledgementApi.as_view(), name="acknowledgement"),
    path("history/", opendata_api.HistoryApi.as_view(), name="history"),
]

urlpatterns: list = [
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", admin_login),  # throttled; the rest of the admin is Django's
    path("admin/", admin.site.urls),
]
# The pages in each language: English unprefixed (every existing URL stays as it is), the others
# under /hi/, /bn/. The API, feeds' JSON and health stay outside, unchanged.
urlpatterns += i18n_patterns(
    path("", include("web.urls")),
    path("", include("alerts.urls")),
    path("", include("official.urls")),
    path("", include("opendata.urls")),
    prefix_default_language=False,
)

handler404 = "config.middleware.not_found"
handler500 = "config.middleware.server_error"
handler400 = "config.middleware.bad_request"
