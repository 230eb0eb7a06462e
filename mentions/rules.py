"""Which services a social post says are down: the rules (outages/mention_rules.json) compiled
into ONE Aho-Corasick automaton (pyahocorasick, C), so a post is scanned once whatever the
number of services and phrases, never once per service.

No Django here: the matcher is benchmarked (bench/mentions.py) and tested on plain strings.

A rule is a whole phrase ("is chatgpt down", "#chatgptdown", "whatsapp डाउन है") with the
service it counts for; a negative is a phrase ("jio cinema", "the meta") that, anywhere in the
post, says the post is not about that service. A phrase counts only at word boundaries, and a
"down" followed by a number ("amazon is down 3%", "teams down 2-1") is a price or a score.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

RULES_FILE = Path(__file__).resolve().parents[1] / "outages" / "mention_rules.json"

POSITIVE, NEGATIVE = 0, 1
DOWN_WORDS = ("down", "डाउन", "ডাউন")


def read_rules(path: Path | str = RULES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def normalise(text: str) -> str:
    """Case-folded NFKC text with every run of whitespace as one space: the form rules and
    posts are compared in (full-width letters, ligatures and line breaks do not hide a match)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _is_word_char(char: str) -> bool:
    # Letters, digits and combining marks (a Devanagari or Bengali vowel sign continues a word
    # though str.isalnum says no).
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def _phrases(template: str, name: str) -> str:
    return template.replace("{name}", name).replace("{tag}", name.replace(" ", ""))


@dataclass(frozen=True)
class Match:
    service: str
    language: str  # the language of the template that matched: "en", "hi", "bn"


class Matcher:
    """One compiled automaton over every service's phrases and negatives."""

    def __init__(self, rules: dict[str, Any], services: Iterable[str] | None = None) -> None:
        wanted = set(services) if services is not None else None
        self.services: list[str] = []
        # phrase -> list of (kind, service index, language); a phrase may serve two services.
        entries: dict[str, list[tuple[int, int, str]]] = {}
        for slug, spec in rules["services"].items():
            if wanted is not None and slug not in wanted:
                continue
            index = len(self.services)
            self.services.append(slug)
            strict = {normalise(name) for name in spec.get("strict", [])}
            for raw_name in spec["names"]:
                name = normalise(raw_name)
                templates = rules["strict_templates"] if name in strict else rules["templates"]
                for language, phrases in templates.items():
                    for template in phrases:
                        phrase = normalise(_phrases(template, name))
                        entries.setdefault(phrase, []).append((POSITIVE, index, language))
            for negative in spec.get("negatives", []):
                entries.setdefault(normalise(negative), []).append((NEGATIVE, index, ""))
        self.rule_count = sum(len(targets) for targets in entries.values())
        self._automaton = ahocorasick.Automaton()
        for phrase, targets in entries.items():
            self._automaton.add_word(phrase, (len(phrase), tuple(dict.fromkeys(targets))))
        self._automaton.make_automaton()
        self._empty = not entries

    def match(self, text: str) -> list[Match]:
        """The services the post says are down (each once), in the order first matched."""
        if self._empty:
            return []
        folded = normalise(text)
        found: dict[int, str] = {}
        negated: set[int] = set()
        for end, (length, targets) in self._automaton.iter(folded):
            start = end - length + 1
            if start > 0 and _is_word_char(folded[start - 1]) and folded[start] != "#":
                continue
            following = folded[end + 1 : end + 3]
            if (
                following[:1]
                and (
                    _is_word_char(following[0])
                    # a hyphenated compound goes on: "down-voted", "chatgpt-like"
                    or (following[0] == "-" and following[1:] and _is_word_char(following[1]))
                )
            ):
                continue
            positive = targets[0][0] == POSITIVE
            if positive and folded.endswith(DOWN_WORDS, 0, end + 1):
                rest = folded[end + 1 : end + 6].lstrip()
                # "down 3%", "down 2-1", "down to one bar", "down by 5": an amount, a price or
                # a score going down, not a service.
                if rest[:1].isdigit() or rest.startswith(("to ", "by ")):
                    continue
            for kind, index, language in targets:
                if kind == NEGATIVE:
                    negated.add(index)
                else:
                    found.setdefault(index, language)
        return [
            Match(self.services[index], language)
            for index, language in found.items()
            if index not in negated
        ]


def compile_rules(path: Path | str = RULES_FILE, services: Iterable[str] | None = None) -> Matcher:
    """The matcher of the rules file, for every service in it or only `services` (slugs)."""
    return Matcher(read_rules(path), services)


# Languages spoken overwhelmingly in one country of the catalogue's: a post in Hindi is from
# India. Bengali is shared by Bangladesh and India: the service's own countries decide, and a
# service popular in both gets no country (unknown beats a guess the detector would trust).
LANGUAGE_COUNTRIES = {"hi": ("IN",), "bn": ("BD", "IN")}


def country_hint(langs: Iterable[str], popular: Iterable[str]) -> str:
    """The country a post is from by its language tags (BCP 47: "pt-BR", "hi"), or ""."""
    popular = list(popular)
    for tag in langs:
        parts = tag.replace("_", "-").split("-")
        # A region subtag says the country outright ("en-IN", "pt-BR").
        for part in parts[1:]:
            if len(part) == 2 and part.isascii() and part.isalpha():
                return part.upper()
        candidates = LANGUAGE_COUNTRIES.get(parts[0].lower(), ())
        if len(candidates) == 1:
            return candidates[0]
        inside = [country for country in candidates if country in popular]
        if len(inside) == 1:
            return inside[0]
    return ""
