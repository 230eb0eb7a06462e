from django.conf import settings
from django.urls import path

from official import views

app_name = "official"

urlpatterns = [
    path("acknowledgement/", views.acknowledgement, name="acknowledgement"),
]

if settings.DEBUG:
    urlpatterns.append(path("official/fixtures/<path:path>", views.fixture, name="fixture"))
