"""The ingest benchmark's yardstick is served only under bench.settings, never by the site."""

from __future__ import annotations

import pytest

from reports.models import Report
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
BODY = {"service": "chatgpt", "problem": "login", "country": "IN"}


def test_the_site_does_not_mount_the_reference_view(client):
    ServiceFactory(slug="chatgpt", problems=["login"])

    response = client.post("/bench/reference-report/", BODY, content_type="application/json")

    assert response.status_code == 404
    assert not Report.objects.exists()


def test_the_bench_urls_add_the_reference_view_to_the_site(client, settings):
    ServiceFactory(slug="chatgpt", problems=["login"])
    settings.ROOT_URLCONF = "bench.urls"

    response = client.post("/bench/reference-report/", BODY, content_type="application/json")

    assert response.status_code == 201 and response.json()["service"] == "chatgpt"
    assert Report.objects.get().country == "IN"
    assert client.get("/healthz").status_code == 200
