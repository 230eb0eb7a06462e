from django.conf import settings
from django.urls import path, re_path

from alerts import views

app_name = "alerts"

# Tokens are secrets.token_urlsafe(32): 43 URL-safe characters; anything else is a 404.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{32,64})"

urlpatterns = [
    path("status/<slug:slug>/alerts/", views.subscribe, name="subscribe"),
    re_path(rf"^alerts/{TOKEN}/$", views.manage, name="manage"),
    re_path(rf"^alerts/{TOKEN}/unsubscribe/$", views.unsubscribe, name="unsubscribe"),
]

if settings.DEBUG:
    urlpatterns.append(path("alerts/demo-receiver/", views.demo_receiver, name="demo-receiver"))
