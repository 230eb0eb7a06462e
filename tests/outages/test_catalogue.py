from __future__ import annotations

import pytest
from django_countries import countries as iso_countries

from outages.catalogue import CATEGORY_PROBLEMS, PROBLEM_TYPES, SERVICES, service_problems
from outages.models import Category, ProblemType, Service
from outages.services import catalogue_load

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


def test_every_service_has_a_positive_demo_volume_and_slugs_fit_the_model():
    for service in SERVICES:
        assert service["volume"] > 0
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
