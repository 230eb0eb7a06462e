from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.test import override_settings

from reports.models import Report, ReportCount, ReporterSalt
from tests.factories import ServiceFactory
from tests.helpers import with_throttle_rates

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
NOW = datetime(2026, 3, 26, 18, 30, 20, tzinfo=UTC)


@pytest.fixture
def chatgpt():
    return ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login", "website"])


def post(client, body, **extra):
    return client.post(URL, body, format="json", **extra)


def counted_total(service) -> int:
    return ReportCount.objects.filter(service=service).aggregate(n=Sum("count"))["n"] or 0


def test_valid_report_is_stored_counted_and_returned(api_client, chatgpt):
    response = post(api_client, {"service": "chatgpt", "problem": "login", "country": "IN"})

    assert response.status_code == 201
    body = response.json()
    assert body["service"] == "chatgpt"
    assert body["problem"] == "login"
    assert body["country"] == "IN"
    assert body["counted"] is True
    assert body["comment"] == ""
    assert Report.objects.get(pk=body["id"]).counted
    assert counted_total(chatgpt) == 1


def test_report_with_comment_keeps_it(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "website", "country": "BD", "comment": "blank page"}
    response = post(api_client, body)

    assert response.status_code == 201
    assert Report.objects.get().comment == "blank page"


def test_count_lands_in_the_minute_of_the_report(api_client, chatgpt):
    with time_machine.travel(NOW, tick=False):
        post(api_client, {"service": "chatgpt", "problem": "login", "country": "IN"})

    cell = ReportCount.objects.get()
    assert cell.minute == NOW.replace(second=0)
    assert (cell.country, cell.problem_type.slug, cell.count) == ("IN", "login", 1)


def test_unknown_service_is_a_field_error(api_client, chatgpt):
    response = post(api_client, {"service": "nope", "problem": "login", "country": "IN"})

    assert response.status_code == 400
    assert "service" in response.json()


def test_problem_not_offered_by_the_service_is_a_field_error(api_client, chatgpt):
    response = post(api_client, {"service": "chatgpt", "problem": "payments", "country": "IN"})

    assert response.status_code == 400
    assert "login" in response.json()["problem"][0]


@pytest.mark.parametrize("country", ["XX", "Atlantis", "", "in1"])
def test_bad_country_code_is_a_field_error(api_client, chatgpt, country):
    response = post(api_client, {"service": "chatgpt", "problem": "login", "country": country})

    assert response.status_code == 400
    assert "country" in response.json()


def test_lowercase_country_code_is_accepted(api_client, chatgpt):
    response = post(api_client, {"service": "chatgpt", "problem": "login", "country": "in"})

    assert response.status_code == 201
    assert response.json()["country"] == "IN"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": ["chatgpt"], "problem": "login", "country": "IN"}, "service"),
        ({"service": "chatgpt", "problem": {"a": 1}, "country": "IN"}, "problem"),
        ({"service": "chatgpt", "problem": "login", "country": 7}, "country"),
        ({"service": "chatgpt", "problem": "login", "country": "IN", "comment": 5.5}, None),
        ({"problem": "login", "country": "IN"}, "service"),
        (
            {"service": "chatgpt", "problem": "login", "country": "IN", "comment": "x" * 501},
            "comment",
        ),
        (
            {"service": "chatgpt", "problem": "login", "country": "IN", "comment": "a\x00b"},
            "comment",
        ),
    ],
)
def test_wrong_types_and_values_are_field_errors(api_client, chatgpt, body, field):
    response = post(api_client, body)

    if field is None:  # a number is accepted as a comment's text, as DRF does
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert field in response.json()
    assert counted_total(chatgpt) == (1 if field is None else 0)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"chatgpt"', b"null", b"\xff\xfe\x00garbage", b""],
)
def test_malformed_bodies_are_400(api_client, chatgpt, raw):
    response = api_client.generic("POST", URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert Report.objects.count() == 0


def test_oversized_body_is_400(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "login", "country": "IN", "padding": "x" * 10_000}
    response = api_client.generic("POST", URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "too large" in response.json()["detail"]
    assert Report.objects.count() == 0


def test_form_encoded_body_is_unsupported_media_type(api_client, chatgpt):
    response = api_client.post(URL, {"service": "chatgpt", "problem": "login", "country": "IN"})

    assert response.status_code == 415


def test_repeat_report_within_window_is_stored_but_not_counted(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    with time_machine.travel(NOW, tick=False):
        first = post(api_client, body)
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        repeat = post(api_client, {**body, "problem": "website"})

    assert first.json()["counted"] is True
    assert repeat.status_code == 201
    assert repeat.json()["counted"] is False
    assert Report.objects.count() == 2
    assert counted_total(chatgpt) == 1


def test_report_after_the_window_counts_again(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    with time_machine.travel(NOW, tick=False):
        post(api_client, body)
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        later = post(api_client, body)

    assert later.json()["counted"] is True
    assert counted_total(chatgpt) == 2


@override_settings(REPORT_DEDUPE_MINUTES=60)
def test_dedupe_window_is_configurable(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    with time_machine.travel(NOW, tick=False):
        post(api_client, body)
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        repeat = post(api_client, body)

    assert repeat.json()["counted"] is False


def test_same_reporter_counts_once_per_service_not_once_overall(api_client, chatgpt):
    ServiceFactory(slug="sora", problems=["login"])
    post(api_client, {"service": "chatgpt", "problem": "login", "country": "IN"})
    other = post(api_client, {"service": "sora", "problem": "login", "country": "IN"})

    assert other.json()["counted"] is True


def test_reporters_are_told_apart_by_address_and_user_agent(api_client, chatgpt):
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    post(api_client, body, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT="phone")
    second = post(api_client, body, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT="laptop")
    third = post(api_client, body, REMOTE_ADDR="198.51.100.2", HTTP_USER_AGENT="phone")

    assert second.json()["counted"] is True
    assert third.json()["counted"] is True
    assert counted_total(chatgpt) == 3


def test_no_raw_address_is_stored(api_client, chatgpt):
    address = "203.0.113.77"
    post(
        api_client,
        {"service": "chatgpt", "problem": "login", "country": "IN"},
        REMOTE_ADDR=address,
        HTTP_USER_AGENT="Mozilla/5.0",
    )

    report = Report.objects.get()
    stored = [str(value) for value in Report.objects.values_list().get()]
    stored += [str(v) for row in ReporterSalt.objects.values_list() for v in row]
    assert not any(address in value for value in stored)
    assert len(report.reporter) == 64


@with_throttle_rates(reports="2/min")
def test_too_many_reports_from_one_address_get_429_with_retry_after(
    api_client, chatgpt, one_rate_window
):
    body = {"service": "chatgpt", "problem": "login", "country": "IN"}
    codes = [post(api_client, body, HTTP_USER_AGENT=f"ua-{i}").status_code for i in range(3)]
    response = post(api_client, body, HTTP_USER_AGENT="ua-x")

    assert codes == [201, 201, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Report.objects.count() == 2
