"""The site's URLs plus the reference view at /bench/reference-report/ (bench.settings)."""

from django.urls import path

from bench.reference import reference_report
from config.urls import handler404, urlpatterns

urlpatterns = [*urlpatterns, path("bench/reference-report/", reference_report)]

__all__ = ["handler404", "urlpatterns"]
