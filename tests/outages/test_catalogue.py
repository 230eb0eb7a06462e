from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_countries import countries as iso_countries

from demo.volumes import COUNTRY_WEIGHTS, VOLUMES
from outages.catalogue import (
    CATEGORY_PROBLEMS,
    PROBLEM_TYPES,
    SERVICES,
    read_catalogue,
    service_problems,
)
from outages.catalogue_messages import PROBLEM_NAMES
from outages.models import Category, ProblemType, Service
from outages.services import catalogue_load
from reports.models import Report
from reports.validation import load_catalogue
from tests.factories import ReportFactory, ServiceFactory

REQUIRED_SLUGS = {
    "openai", "chatgpt", "sora", "openai-api",
    "meta", "facebook", "instagram", "whatsapp", "messenger",
    "google", "youtube", "gmail", "x", "discord", "steam", "aws", "cloudflare",
    "microsoft-365", "outlook", "teams", "netflix", "spotify", "reddit", "tiktok", "zoom",
    "slack", "github", "playstation-network", "xbox-live", "amazon", "telegram", "snapchat",
    "jio", "airtel", "vi", "paytm", "phonepe", "upi", "sbi", "hdfc-bank", "icici-bank",
    "flipkart", "swiggy", "zomato",
    "bkash", "nagad", "grameenphone", "robi", "banglalink", "dutch-bangla-bank",
}  # fmt: skip

PROBLEM_SLUGS = {slug for slug, _ in PROBLEM_TYPES}


def test_catalogue_lists_at_least_forty_services_including_every_required_one():
    slugs = [service["slug"] for service in SERVICES]

    assert len(slugs) >= 40
    assert len(set(slugs)) == len(slugs)
    assert set(slugs) >= REQUIRED_SLUGS


def test_openai_and_meta_are_the_parents_of_their_products():
    parents = {service["slug"]: service["parent"] for service in SERVICES}

    assert {slug for slug, parent in parents.items() if parent == "openai"} == {
        "chatgpt",
        "sora",
        "openai-api",
    }
    assert {slug for slug, parent in parents.items() if parent == "meta"} == {
        "facebook",
        "instagram",
        "whatsapp",
        "messenger",
    }
    assert parents["openai"] is None
    assert parents["meta"] is None


def test_every_parent_is_listed_before_its_children():
    seen: set[str] = set()
    for service in SERVICES:
        assert service["parent"] is None or service["parent"] in seen
        seen.add(service["slug"])


def test_every_service_has_known_problem_types_and_category():
    categories = set(Category.values)
    for service in SERVICES:
        problems = service_problems(service)
        assert service["category"] in categories
        assert 1 <= len(problems) == len(set(problems))
        assert set(problems) <= PROBLEM_SLUGS, service["slug"]
    for problems in CATEGORY_PROBLEMS.values():
        assert 3 <= len(problems) <= 6
        assert set(problems) <= PROBLEM_SLUGS
    assert set(CATEGORY_PROBLEMS) == categories


def test_chatgpt_can_be_reported_for_image_generation_website_login_and_app():
    chatgpt = next(service for service in SERVICES if service["slug"] == "chatgpt")

    assert {"image-generation", "website", "login", "app"} <= set(service_problems(chatgpt))


def test_country_codes_are_valid_iso_codes():
    for service in SERVICES:
        codes = list(service["countries"]) + list(service.get("country_weights", {}))
        for code in codes:
            assert code in iso_countries, (service["slug"], code)


def test_slugs_and_urls_fit_the_model():
    for service in SERVICES:
        assert len(service["slug"]) <= 60
        assert service["status_page_url"] == "" or service["status_page_url"].startswith("https://")
    assert all(len(slug) <= 40 for slug in PROBLEM_SLUGS)


@pytest.mark.django_db
def test_catalogue_load_writes_services_with_parents_and_problem_types():
    catalogue_load()

    chatgpt = Service.objects.get(slug="chatgpt")
    assert chatgpt.parent.slug == "openai"
    assert set(chatgpt.problem_types.values_list("slug", flat=True)) >= {
        "image-generation",
        "website",
        "login",
        "app",
    }
    assert set(Service.objects.get(slug="meta").children.values_list("slug", flat=True)) == {
        "facebook",
        "instagram",
        "whatsapp",
        "messenger",
    }
    assert not Service.objects.filter(problem_types=None).exists()
    assert [code.code for code in Service.objects.get(slug="bkash").countries] == ["BD"]


@pytest.mark.django_db
def test_catalogue_load_twice_changes_nothing():
    catalogue_load()
    before = (
        Service.objects.count(),
        ProblemType.objects.count(),
        Service.problem_types.through.objects.count(),
    )

    catalogue_load()

    after = (
        Service.objects.count(),
        ProblemType.objects.count(),
        Service.problem_types.through.objects.count(),
    )
    assert before == after == (len(SERVICES), len(PROBLEM_TYPES), after[2])


def test_the_catalogue_file_holds_no_demo_traffic():
    for service in SERVICES:
        assert "volume" not in service and "country_weights" not in service, service["slug"]


def test_every_demo_volume_names_a_catalogue_service():
    slugs = {service["slug"] for service in SERVICES}

    assert set(VOLUMES) <= slugs
    assert set(COUNTRY_WEIGHTS) <= slugs
    assert all(volume > 0 for volume in VOLUMES.values())


@pytest.mark.django_db
def test_load_catalogue_on_an_empty_database_makes_every_service_reportable():
    out = StringIO()

    call_command("load_catalogue", stdout=out)

    assert Service.objects.count() == len(SERVICES)
    assert ProblemType.objects.count() == len(PROBLEM_TYPES)
    assert f"{len(SERVICES)} services created, 0 updated" in out.getvalue()
    assert set(load_catalogue()) == {service["slug"] for service in SERVICES}


@pytest.mark.django_db
def test_load_catalogue_again_keeps_reports_and_services_added_in_the_admin():
    call_command("load_catalogue", stdout=StringIO())
    own = ServiceFactory(slug="my-isp", name="My ISP")
    Service.objects.filter(slug="chatgpt").update(name="Renamed by hand")
    report = ReportFactory(service=Service.objects.get(slug="chatgpt"))
    out = StringIO()

    call_command("load_catalogue", stdout=out)

    assert Service.objects.get(slug="my-isp") == own
    assert Service.objects.get(slug="chatgpt").name == "ChatGPT"
    assert Report.objects.filter(pk=report.pk).exists()
    assert f"0 services created, {len(SERVICES)} updated" in out.getvalue()


@pytest.mark.django_db
def test_load_catalogue_reads_an_operators_own_file(tmp_path):
    catalogue = read_catalogue()
    catalogue["services"] = [s for s in catalogue["services"] if s["slug"] == "jio"]
    catalogue["services"][0]["name"] = "Jio (our copy)"
    own_file = tmp_path / "catalogue.json"
    own_file.write_text(json.dumps(catalogue))

    call_command("load_catalogue", file=str(own_file), stdout=StringIO())

    assert list(Service.objects.values_list("name", flat=True)) == ["Jio (our copy)"]


@pytest.mark.django_db
def test_load_catalogue_with_a_missing_file_says_so():
    with pytest.raises(CommandError, match="Cannot load"):
        call_command("load_catalogue", file="/nonexistent/catalogue.json")


def test_every_problem_name_in_the_file_is_marked_for_translation():
    assert [name for _, name in PROBLEM_TYPES] == PROBLEM_NAMES
