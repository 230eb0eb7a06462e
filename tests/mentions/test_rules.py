"""The mention rules: one automaton, phrases at word boundaries, negatives for false friends."""

from __future__ import annotations

import json

import pytest

from mentions.rules import Matcher, compile_rules, country_hint, normalise
from outages.catalogue import SERVICES


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_rules()


def services(matcher: Matcher, text: str) -> set[str]:
    return {match.service for match in matcher.match(text)}


def test_every_catalogue_service_has_rules_and_every_rule_a_catalogue_service(matcher):
    assert set(matcher.services) == {service["slug"] for service in SERVICES}


def test_english_question_hashtag_and_plain_forms_count(matcher):
    assert services(matcher, "Is ChatGPT down for anyone else?") == {"chatgpt"}
    assert services(matcher, "#ChatGPTDown again") == {"chatgpt"}
    assert services(matcher, "whatsapp down, messages stuck") == {"whatsapp"}


def test_hindi_and_bengali_posts_count_in_either_script_of_the_name(matcher):
    assert services(matcher, "व्हाट्सएप डाउन है क्या?") == {"whatsapp"}
    assert services(matcher, "WhatsApp नहीं चल रहा") == {"whatsapp"}
    assert services(matcher, "বিকাশ কাজ করছে না") == {"bkash"}


def test_a_name_inside_another_word_does_not_count(matcher):
    assert services(matcher, "the xbox down the hall") == set()
    assert services(matcher, "supernetflix down") == set()


def test_false_friends_are_negated(matcher):
    assert services(matcher, "jio cinema down during the final") == set()
    assert services(matcher, "the meta is down to three decks") == set()
    assert services(matcher, "my phone signal is down to one bar") == set()


def test_a_number_after_down_is_a_price_or_a_score(matcher):
    assert services(matcher, "amazon is down 3% after earnings") == set()
    assert services(matcher, "teams is down 2-1 at half time") == set()


def test_a_common_word_name_needs_a_strict_phrase(matcher):
    assert services(matcher, "zoom down the street") == set()
    assert services(matcher, "is zoom down? meeting won't start") == {"zoom"}


def test_a_post_counts_once_per_service_however_often_it_says_so(matcher):
    found = matcher.match("is chatgpt down? chatgpt down. #chatgptdown")
    assert [match.service for match in found] == ["chatgpt"]


def test_case_width_and_line_breaks_do_not_hide_a_match(matcher):
    assert services(matcher, "\uff23\uff28\uff21\uff34\uff27\uff30\uff34\n\n  DOWN") == {"chatgpt"}
    assert normalise("A\u00a0 B\n") == "a b"


def test_hostile_text_is_matched_without_error(matcher):
    assert services(matcher, "\ud800 chatgpt down \x00") == {"chatgpt"}
    assert matcher.match("") == []


def test_rules_are_compiled_once_for_all_services_not_per_service(tmp_path):
    rules = {
        "templates": {"en": ["{name} down"]},
        "strict_templates": {"en": ["is {name} down"]},
        "services": {"a": {"names": ["alpha"]}, "b": {"names": ["beta"], "negatives": ["beta x"]}},
    }
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    matcher = compile_rules(path)
    assert matcher.rule_count == 3
    assert services(matcher, "alpha down, beta down") == {"a", "b"}


def test_country_comes_from_a_region_subtag_or_an_unambiguous_language():
    assert country_hint(["pt-BR"], []) == "BR"
    assert country_hint(["hi"], ["US"]) == "IN"
    assert country_hint(["bn"], ["BD", "US"]) == "BD"
    assert country_hint(["bn"], ["BD", "IN"]) == ""
    assert country_hint(["en"], ["US"]) == ""
