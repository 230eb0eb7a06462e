"""The catalogue of official status sources (official/sources.json) and how it is loaded."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from official import services
from official.catalogue import NO_OFFICIAL_PAGE, OFFICIAL_PAGES
from official.models import ServiceStatusPage, StatusPage
from official.selectors import official_status
from outages.catalogue import SERVICES
from outages.models import Service

pytestmark = pytest.mark.django_db
CATALOGUE = {service["slug"] for service in SERVICES}


def test_every_catalogue_service_has_a_source_or_says_it_has_none():
    covered = [slug for page in OFFICIAL_PAGES for slug in page["services"]]

    assert len(covered) == len(set(covered)), "a service on two pages"
    assert set(covered) <= CATALOGUE and set(NO_OFFICIAL_PAGE) <= CATALOGUE
    assert set(covered) | set(NO_OFFICIAL_PAGE) == CATALOGUE
    assert not set(covered) & set(NO_OFFICIAL_PAGE)
    assert len(covered) >= 30


def test_every_source_says_where_its_url_comes_from():
    for page in OFFICIAL_PAGES:
        assert isinstance(page["verified"], bool), page["name"]
        assert page["source"].strip(), page["name"]
        for url in (page["url"], page["status_page"]):
            assert urlsplit(url).scheme == "https" and urlsplit(url).hostname, url


def test_load_official_on_an_empty_database_knows_every_source_and_is_idempotent(api_client):
    call_command("load_catalogue", stdout=io.StringIO())
    call_command("load_official", stdout=io.StringIO())
    call_command("load_official", stdout=io.StringIO())

    assert StatusPage.objects.count() == len(OFFICIAL_PAGES)
    assert ServiceStatusPage.objects.count() >= 30
    chatgpt = api_client.get("/api/v1/services/chatgpt/").json()["official"]
    assert chatgpt["status_page"] == "https://status.openai.com/"
    assert (chatgpt["state"], chatgpt["state_text"]) == ("not_polled_yet", "not polled yet")
    jio = api_client.get("/api/v1/services/jio/").json()["official"]
    assert jio["status_page"] is None and jio["state_text"] == "no official status page"
    listed, url = [], "/api/v1/services/"
    while url:  # every page of the list
        answer = api_client.get(url).json()
        listed, url = listed + answer["results"], answer["next"]
    assert len(listed) == len(CATALOGUE)
    assert all("official" in service for service in listed)
    assert sum(s["official"]["status_page"] is not None for s in listed) >= 30


def test_a_fresh_install_shows_official_status_within_two_poll_periods(status_server, api_client):
    # What beat does on a fresh install: load, then poll_due every minute. The pages with a
    # recorded copy are served locally; the rest would go to the internet, so are not loaded.
    call_command("load_catalogue", stdout=io.StringIO())
    services.catalogue_load([p for p in OFFICIAL_PAGES if p["fixture"]], base_url=status_server.url)
    start = timezone.now()
    github = Service.objects.get(slug="github")
    assert official_status(github.pk)["state"] == "not_polled_yet"

    for minute in range(0, 2 * int(services.POLL_INTERVAL.total_seconds() // 60), 1):
        services.poll_due(now=start + timedelta(minutes=minute))

    github = api_client.get("/api/v1/services/github/").json()["official"]
    assert github["state"] == "polled"
    assert github["state_text"] == "All Systems Operational"
    slack = api_client.get("/api/v1/services/slack/").json()["official"]
    assert slack["indicator"] == "major"


def test_the_beat_task_polls_on_its_own_queue():
    from config.celery import app

    entry = app.conf.beat_schedule["poll-official-pages"]
    assert entry["options"]["queue"] == "official"
    assert app.conf.task_routes["official.tasks.*"]["queue"] == "official"


def test_beat_loads_the_sources_when_a_deploy_path_did_not(monkeypatch):
    from official import tasks

    call_command("load_catalogue", stdout=io.StringIO())
    polled = []
    monkeypatch.setattr(services, "poll_due", lambda: polled.append(1) or 0)

    tasks.poll_official_pages()
    tasks.poll_official_pages()

    assert StatusPage.objects.count() == len(OFFICIAL_PAGES) and len(polled) == 2


def test_the_demo_reads_its_recorded_pages_from_files_before_any_server_is_up(settings):
    # make run: the worker starts before the web server that serves the recordings; the
    # seed reads them straight from the files, so status shows from the first minute.
    settings.SITE_URL = "http://127.0.0.1:9"  # nothing listens there
    call_command("load_catalogue", stdout=io.StringIO())

    call_command("load_official", "--recorded", stdout=io.StringIO())

    openai = StatusPage.objects.get(name="OpenAI")
    assert openai.polled_at is not None and openai.failures == 0
    assert openai.url == "http://127.0.0.1:9/official/fixtures/openai/"
    assert openai.incidents.count() == 1
    discord = StatusPage.objects.get(name="Discord")
    assert not discord.polled and discord.url == "https://discordstatus.com/"
    assert official_status(Service.objects.get(slug="discord").pk)["state"] == "not_polled_yet"
    # Five minutes later beat polls the recorded pages through the (by then running) server.
    due = StatusPage.objects.filter(polled=True).exclude(kind="page")
    assert {page.name for page in due} == {p["name"] for p in OFFICIAL_PAGES if p["fixture"]}
    assert all(page.next_poll_at > timezone.now() for page in due)
