from __future__ import annotations

import re

import pytest
from django.test import Client

from reports.forms import country_from_accept_language
from reports.models import Report
from tests.factories import ServiceFactory
from tests.helpers import with_throttle_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def chatgpt():
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Mozilla/5.0 test")


def test_service_page_offers_the_report_button_and_numbers(client, chatgpt):
    page = client.get("/status/chatgpt/").content.decode()

    assert "I have a problem with ChatGPT" in page
    assert "User reports indicate no current problems at ChatGPT" in page
    assert 'data-testid="reports-1h">0<' in page
    assert 'value="login"' in page


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("en-IN,en;q=0.9", "IN"),
        ("bn-BD", "BD"),
        ("en", ""),
        ("", ""),
        ("fr;q=0.9,de-DE;q=0.8", "DE"),
    ],
)
def test_country_is_taken_from_accept_language(header, country):
    assert country_from_accept_language(header) == country


def test_service_page_preselects_the_visitors_country(client, chatgpt):
    page = client.get("/status/chatgpt/", HTTP_ACCEPT_LANGUAGE="bn-BD,bn;q=0.9").content.decode()

    assert re.search(r'<option value="BD" selected>', page)


def test_form_post_stores_a_counted_report_and_confirms(browser, chatgpt):
    response = browser.post(
        "/status/chatgpt/report/",
        {"problem": "login", "country": "IN", "comment": ""},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/status/chatgpt/"
    page = response.content.decode()
    assert "your report of a problem with ChatGPT (Login) is counted" in page
    assert 'data-testid="reports-1h">1<' in page
    assert Report.objects.get().counted


def test_repeat_form_post_is_confirmed_as_not_counted(browser, chatgpt):
    form = {"problem": "login", "country": "IN"}
    browser.post("/status/chatgpt/report/", form)
    response = browser.post("/status/chatgpt/report/", form, follow=True)

    assert "kept but not counted" in response.content.decode()
    assert 'data-testid="reports-1h">1<' in response.content.decode()


def test_form_post_needs_no_csrf_token_since_the_form_is_anonymous(browser, chatgpt):
    response = browser.post("/status/chatgpt/report/", {"problem": "login", "country": "IN"})

    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_service_page_sets_no_cookie_and_carries_no_csrf_token(browser, chatgpt):
    response = browser.get("/status/chatgpt/")

    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_invalid_form_post_shows_errors_and_stores_nothing(browser, chatgpt):
    response = browser.post(
        "/status/chatgpt/report/",
        {"problem": "payments", "country": "XX"},
    )

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert Report.objects.count() == 0


def test_filled_honeypot_is_refused(browser, chatgpt):
    response = browser.post(
        "/status/chatgpt/report/",
        {
            "problem": "login",
            "country": "IN",
            "website": "http://spam",
        },
    )

    assert response.status_code == 400
    assert Report.objects.count() == 0


@with_throttle_rates(reports="1/min")
def test_form_posts_are_rate_limited_per_address(browser, chatgpt, one_rate_window):
    form = {"problem": "login", "country": "IN"}
    browser.post("/status/chatgpt/report/", form)
    response = browser.post("/status/chatgpt/report/", form)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_unknown_service_page_is_404(client):
    assert client.get("/status/nope/").status_code == 404
    assert client.post("/status/nope/report/").status_code in (403, 404)


def test_home_lists_services(client, chatgpt):
    page = client.get("/").content.decode()

    assert "ChatGPT" in page
    assert "/status/chatgpt/" in page


@pytest.mark.parametrize("header", ["en", "hi", "bn", ""])
def test_a_request_naming_no_region_preselects_no_country(client, chatgpt, header):
    page = client.get("/status/chatgpt/", HTTP_ACCEPT_LANGUAGE=header).content.decode()

    assert re.search(r'<option value="" selected>Choose your country…</option>', page)
    assert not re.search(r'<option value="AF" selected>', page)


def test_a_report_without_a_country_is_refused_with_a_summary(browser, chatgpt):

    response = browser.post("/status/chatgpt/report/", {"problem": "login", "country": ""})

    page = response.content.decode()
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert 'href="#id_country"' in summary
    assert "Choose the country you are in." in summary
    assert Report.objects.count() == 0


def test_the_form_posts_to_its_error_summary_so_the_browser_lands_there(client, chatgpt):
    page = client.get("/status/chatgpt/").content.decode()

    assert 'action="/status/chatgpt/report/#report-errors"' in page
