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
    # A signed inbox key (alerts.services.inbox_url): 64 hex digits, ':', a timestamp, ':', a
    # signature; it names no address.
    re_path(
        r"^alerts/inbox/(?P<token>[0-9a-f]{64}:[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{20,64})/$",
        views.inbox,
        name="inbox",
    ),
]

if settings.DEBUG:
    urlpatterns.append(path("alerts/demo-receiver/", views.demo_receiver, name="demo-receiver"))
