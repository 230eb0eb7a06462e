"""Realistic demo report counts, vectorised with numpy and free of Django.

`generate_counts` yields, per service, the nonzero cells of the ReportCount table: counted
reports per (UTC minute, country, problem type). Deterministic given the seed and `now`.

What makes the numbers look like Downdetector's:
- a daily rhythm per country in its local time (fixed UTC offsets, no daylight saving: the
  demo only needs the shape), quiet nights at 10-20% of the evening peak, and a weekly one
  (work tools sag at weekends, games rise);
- over-dispersed noise: Poisson counts whose rate is multiplied by gamma noise per 15-minute
  slot and per day, i.e. negative-binomial buckets, as real report streams are burstier than
  Poisson;
- gradual growth (older history is quieter), a problem mix per service with the top problem at
  about half the reports, and a country mix from the service's countries plus a spread over
  the rest of the world;
- real outages replayed at their real dates (see /work/shared/EVENTS.md) with two weeks of
  normal traffic before and two days after, plus one outage shifted to "now" that is still
  going on while the demo runs.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np

from common.buckets import epoch_minute, from_epoch_minute
from demo.volumes import COUNTRY_WEIGHTS, DEFAULT_VOLUME, VOLUMES
from outages.catalogue import service_problems

MINUTES_PER_DAY = 1440
MINUTES_PER_YEAR = 525_960

# Hours ahead of UTC, standard time; the USA and Brazil span several zones, these are where
# most of their reports come from (Eastern-Central, Brasilia).
UTC_OFFSET_HOURS: dict[str, float] = {
    "US": -5.5, "CA": -5, "MX": -6, "BR": -3, "AR": -3, "CO": -5, "CL": -4, "PE": -5,
    "GB": 0, "IE": 0, "PT": 0, "MA": 1, "ES": 1, "FR": 1, "DE": 1, "IT": 1, "NL": 1, "BE": 1,
    "CH": 1, "AT": 1, "SE": 1, "NO": 1, "DK": 1, "PL": 1, "CZ": 1, "NG": 1, "GR": 2, "RO": 2,
    "FI": 2, "UA": 2, "EG": 2, "ZA": 2, "TR": 3, "RU": 3, "SA": 3, "KE": 3, "IR": 3.5,
    "AE": 4, "PK": 5, "IN": 5.5, "LK": 5.5, "NP": 5.75, "BD": 6, "TH": 7, "VN": 7, "ID": 7,
    "MY": 8, "SG": 8, "PH": 8, "CN": 8, "HK": 8, "TW": 8, "KR": 9, "JP": 9, "AU": 10, "NZ": 12,
}  # fmt: skip

# The rest of the world, roughly by online population on Downdetector-like sites: every
# service gets a small share of its reports spread over these.
WORLD_SPREAD: dict[str, float] = {
    "US": 0.18, "IN": 0.10, "BR": 0.06, "GB": 0.05, "DE": 0.04, "FR": 0.035, "MX": 0.035,
    "ID": 0.035, "PH": 0.03, "JP": 0.03, "CA": 0.03, "IT": 0.03, "ES": 0.03, "TR": 0.03,
    "NG": 0.02, "PK": 0.02, "BD": 0.02, "AU": 0.02, "NL": 0.02, "PL": 0.02, "AR": 0.02,
    "ZA": 0.015, "EG": 0.015, "SA": 0.015, "VN": 0.015, "KR": 0.015, "MY": 0.01,
}  # fmt: skip

# Relative activity by local hour (0-23), peak 1. Values are read at hh:30 and interpolated.
_DAILY_HOURS: dict[str, list[float]] = {
    # Social, video, messaging, shopping: a long day that peaks in the evening.
    "consumer": [0.45, 0.30, 0.20, 0.15, 0.13, 0.14, 0.22, 0.38, 0.55, 0.65, 0.72, 0.76,
                 0.80, 0.80, 0.78, 0.78, 0.80, 0.84, 0.90, 0.96, 1.00, 0.98, 0.86, 0.66],
    # Email, office tools, cloud: office hours.
    "work": [0.14, 0.11, 0.10, 0.10, 0.11, 0.15, 0.28, 0.55, 0.85, 0.98, 1.00, 0.98,
             0.90, 0.95, 0.97, 0.92, 0.80, 0.62, 0.48, 0.40, 0.35, 0.30, 0.24, 0.18],
    # Chatbots: office hours and homework in the evening.
    "ai": [0.30, 0.22, 0.16, 0.13, 0.12, 0.14, 0.20, 0.35, 0.55, 0.75, 0.88, 0.95,
           0.97, 0.98, 0.98, 0.96, 0.92, 0.88, 0.85, 0.85, 0.84, 0.78, 0.62, 0.45],
    "gaming": [0.60, 0.42, 0.28, 0.20, 0.15, 0.13, 0.14, 0.20, 0.28, 0.35, 0.42, 0.50,
               0.56, 0.60, 0.64, 0.68, 0.74, 0.82, 0.90, 0.97, 1.00, 0.98, 0.90, 0.76],
    # Banks, payments, mobile networks: the working and shopping day.
    "daytime": [0.18, 0.12, 0.10, 0.10, 0.10, 0.14, 0.25, 0.45, 0.70, 0.88, 0.97, 1.00,
                0.98, 0.95, 0.92, 0.90, 0.88, 0.86, 0.85, 0.82, 0.75, 0.60, 0.42, 0.28],
}  # fmt: skip

# By local weekday, Monday first.
_WEEKLY: dict[str, list[float]] = {
    "consumer": [1.00, 0.99, 0.99, 1.00, 1.02, 1.06, 1.05],
    "work": [1.06, 1.05, 1.04, 1.03, 0.95, 0.45, 0.40],
    "ai": [1.05, 1.05, 1.03, 1.02, 0.97, 0.85, 0.85],
    "gaming": [0.92, 0.92, 0.93, 0.95, 1.02, 1.15, 1.12],
    "daytime": [1.05, 1.02, 1.00, 1.00, 1.03, 0.85, 0.75],
}

_CATEGORY_RHYTHM: dict[str, str] = {
    "ai": "ai",
    "social": "consumer",
    "messaging": "consumer",
    "search": "consumer",
    "streaming": "consumer",
    "shopping": "consumer",
    "email": "work",
    "productivity": "work",
    "cloud": "work",
    "gaming": "gaming",
    "telecom": "daytime",
    "banking": "daytime",
    "payments": "daytime",
}

# Report volumes grow with the audience: ~30% a year, so 2024 history is ~40% quieter.
GROWTH_PER_YEAR = 0.30
# Gamma shapes of the noise multipliers (coefficient of variation = 1/sqrt(shape)).
SLOT_NOISE_SHAPE = 20.0  # per 15-minute slot: ~22%
DAY_NOISE_SHAPE = 60.0  # per UTC day: ~13%
EVENT_NOISE_SHAPE = 100.0  # outages are loud: ~10%, their relative noise is smaller
# Background generated around each historic event, so its graph and baseline are real.
HISTORY_BEFORE = timedelta(days=14)
HISTORY_AFTER = timedelta(days=2)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impact:
    """How one service fared in an event: reports above normal from start to end (UTC)."""

    service: str
    start: datetime
    end: datetime
    # Reports in the busiest clock-aligned 15 minutes, worldwide (the press figure).
    peak_15m: float
    # Surges only: when the daily wave crests.
    peak_at: datetime | None = None
    # Overrides the event's problem mix for this service (WhatsApp: messaging first).
    problems: Mapping[str, float] | None = None


@dataclass(frozen=True)
class DemoEvent:
    """An outage or surge the demo replays: what detection should find, and where."""

    name: str
    # "crash": reports jump within minutes; "surge": they rise and fall over hours.
    kind: Literal["crash", "surge"]
    impacts: tuple[Impact, ...]
    # Share of the event's reports per country (the rest of the world fills the remainder).
    countries: Mapping[str, float] = field(default_factory=dict)
    # Share of the event's reports per problem type.
    problems: Mapping[str, float] = field(default_factory=dict)
    # True for the event shifted to the seed time, still going on at `now`.
    ongoing: bool = False

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(impact.service for impact in self.impacts)

    @property
    def start(self) -> datetime:
        return min(impact.start for impact in self.impacts)

    @property
    def end(self) -> datetime:
        return max(impact.end for impact in self.impacts)

    def impact(self, service: str) -> Impact | None:
        return next((impact for impact in self.impacts if impact.service == service), None)


_META_START = _utc(2024, 12, 11, 17, 30)
_OPENAI_START = _utc(2024, 12, 12, 0, 0)
_CHATGPT_DEC26_START = _utc(2024, 12, 26, 18, 30)
_CHATGPT_COUNTRIES = {
    "US": 0.36, "IN": 0.12, "GB": 0.06, "BR": 0.05, "CA": 0.04, "DE": 0.04, "FR": 0.03,
    "PH": 0.03, "ID": 0.03, "MX": 0.03, "BD": 0.02, "AU": 0.02, "JP": 0.02,
}  # fmt: skip

# Evening in Europe, midday in the Americas, night in South Asia (fewer awake).
_META_COUNTRIES = {
    "US": 0.22, "BR": 0.09, "IN": 0.11, "BD": 0.07, "GB": 0.07, "MX": 0.05, "PH": 0.04,
    "ID": 0.03, "DE": 0.03, "FR": 0.03, "TR": 0.03, "PK": 0.03, "CA": 0.03, "IT": 0.02,
    "ES": 0.02, "NG": 0.02, "EG": 0.02,
}  # fmt: skip
# The surge was American first; India was the second country.
_GHIBLI_COUNTRIES = {
    "US": 0.56, "IN": 0.10, "GB": 0.05, "CA": 0.04, "BR": 0.04, "DE": 0.03, "PH": 0.02,
    "ID": 0.02, "MX": 0.02, "AU": 0.02, "FR": 0.02, "JP": 0.02,
}  # fmt: skip


def _ghibli_day(day: int, month: int, peak_15m: float, peak_hour: float) -> DemoEvent:
    # Demand builds from the European afternoon, crests in the US afternoon and fades after
    # the US evening; 1 April quoted >1,000 US and >100 Indian reports at its peak.
    start = _utc(2025, month, day, 12, 0)
    peak_at = start + timedelta(hours=peak_hour - 12)
    end = start + timedelta(hours=15)
    return DemoEvent(
        name=f"ChatGPT image generation surge ({start:%d %B %Y})",
        kind="surge",
        impacts=(
            Impact("chatgpt", start, end, peak_15m, peak_at=peak_at),
            Impact("openai", start, end, peak_15m * 0.05, peak_at=peak_at),
        ),
        countries=_GHIBLI_COUNTRIES,
        problems={"image-generation": 0.52, "website": 0.30, "login": 0.08, "app": 0.10},
    )


HISTORIC_EVENTS: tuple[DemoEvent, ...] = (
    DemoEvent(
        name="Meta apps outage (11 December 2024)",
        kind="crash",
        impacts=(
            Impact("facebook", _META_START, _META_START + timedelta(hours=9), 105_000),
            Impact("instagram", _META_START, _META_START + timedelta(hours=6), 68_000),
            Impact(
                "whatsapp",
                _META_START,
                _META_START + timedelta(hours=6),
                32_000,
                problems={"messaging": 0.55, "app": 0.25, "server-connection": 0.12, "login": 0.08},
            ),
            Impact("messenger", _META_START, _META_START + timedelta(hours=8, minutes=30), 12_000),
            Impact("meta", _META_START, _META_START + timedelta(hours=9), 900),
        ),
        countries=_META_COUNTRIES,
        problems={"app": 0.42, "website": 0.27, "login": 0.16, "messaging": 0.15},
    ),
    DemoEvent(
        name="OpenAI outage (12 December 2024)",
        kind="crash",
        impacts=(
            Impact("chatgpt", _OPENAI_START, _OPENAI_START + timedelta(hours=3), 29_000),
            Impact(
                "sora",
                _OPENAI_START,
                _OPENAI_START + timedelta(hours=3),
                2_500,
                problems={"video-generation": 0.45, "website": 0.40, "login": 0.15},
            ),
            Impact(
                "openai-api",
                _OPENAI_START,
                _OPENAI_START + timedelta(hours=3),
                1_800,
                problems={"api": 0.80, "website": 0.15, "login": 0.05},
            ),
            Impact("openai", _OPENAI_START, _OPENAI_START + timedelta(hours=3), 600),
        ),
        countries=_CHATGPT_COUNTRIES,
        problems={"website": 0.45, "login": 0.22, "app": 0.23, "server-connection": 0.10},
    ),
    DemoEvent(
        name="ChatGPT outage (26 December 2024)",
        kind="crash",
        impacts=(
            Impact(
                "chatgpt", _CHATGPT_DEC26_START, _CHATGPT_DEC26_START + timedelta(hours=5), 15_500
            ),
            Impact(
                "sora",
                _CHATGPT_DEC26_START,
                _CHATGPT_DEC26_START + timedelta(hours=5),
                700,
                problems={"video-generation": 0.40, "website": 0.50, "login": 0.10},
            ),
            Impact(
                "openai-api",
                _CHATGPT_DEC26_START,
                _CHATGPT_DEC26_START + timedelta(hours=5),
                600,
                problems={"api": 0.80, "website": 0.20},
            ),
        ),
        countries=_CHATGPT_COUNTRIES,
        problems={"website": 0.62, "app": 0.20, "login": 0.12, "server-connection": 0.06},
    ),
    _ghibli_day(26, 3, 180, 19),
    _ghibli_day(27, 3, 350, 19.5),
    _ghibli_day(28, 3, 500, 19),
    _ghibli_day(29, 3, 650, 18.5),
    _ghibli_day(30, 3, 1_300, 19),
    _ghibli_day(31, 3, 800, 19.5),
    _ghibli_day(1, 4, 2_000, 17.5),
    _ghibli_day(2, 4, 600, 19),
)

# How long before the seed time the live outage began, and how long it still runs.
ONGOING_STARTED_BEFORE = timedelta(minutes=25)
ONGOING_LASTS_AFTER = timedelta(hours=3)


def ongoing_event(now: datetime) -> DemoEvent:
    """A ChatGPT outage (with a smaller echo on the API) under way at `now`."""
    start = from_epoch_minute(epoch_minute(now)) - ONGOING_STARTED_BEFORE
    end = start + ONGOING_STARTED_BEFORE + ONGOING_LASTS_AFTER
    return DemoEvent(
        name="ChatGPT outage (live demo)",
        kind="crash",
        impacts=(
            Impact("chatgpt", start, end, 6_000),
            Impact("openai-api", start, end, 450, problems={"api": 0.85, "website": 0.15}),
            Impact("openai", start, end, 150),
        ),
        countries=_CHATGPT_COUNTRIES,
        problems={"login": 0.36, "website": 0.34, "app": 0.20, "server-connection": 0.10},
        ongoing=True,
    )


def demo_events(now: datetime, *, history: bool = True) -> list[DemoEvent]:
    """Every event the demo replays, oldest first: the historic ones and the live one."""
    return [*(HISTORIC_EVENTS if history else ()), ongoing_event(now)]


# --- Counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCounts:
    """One service's nonzero cells, sorted by minute, country, problem.

    `country` and `problem` index the `countries` and `problems` vocabularies, so the arrays
    stay numeric; `country_codes()` and `problem_slugs()` give the strings.
    """

    service: str
    countries: tuple[str, ...]
    problems: tuple[str, ...]
    minute: np.ndarray  # int64, minutes since the Unix epoch (UTC)
    country: np.ndarray  # int16
    problem: np.ndarray  # int16
    count: np.ndarray  # int32, > 0

    def __len__(self) -> int:
        return len(self.count)

    def country_codes(self) -> np.ndarray:
        return np.asarray(self.countries)[self.country]

    def problem_slugs(self) -> np.ndarray:
        return np.asarray(self.problems)[self.problem]

    def minutes_datetime64(self) -> np.ndarray:
        return self.minute.astype("datetime64[m]")

    def total(self, start: datetime, end: datetime) -> int:
        """Reports in [start, end)."""
        return int(self.count[self._between(start, end)].sum())

    def problem_totals(self, start: datetime, end: datetime) -> dict[str, int]:
        """Reports per problem slug in [start, end)."""
        mask = self._between(start, end)
        sums = np.bincount(
            self.problem[mask], weights=self.count[mask], minlength=len(self.problems)
        )
        return {slug: int(total) for slug, total in zip(self.problems, sums, strict=True)}

    def country_totals(self, start: datetime, end: datetime) -> dict[str, int]:
        """Reports per country code in [start, end)."""
        mask = self._between(start, end)
        sums = np.bincount(
            self.country[mask], weights=self.count[mask], minlength=len(self.countries)
        )
        return {code: int(total) for code, total in zip(self.countries, sums, strict=True) if total}

    def _between(self, start: datetime, end: datetime) -> np.ndarray:
        return (self.minute >= epoch_minute(start)) & (self.minute < epoch_minute(end))


def service_problem_mix(problems: Sequence[str]) -> np.ndarray:
    """Normal-time shares of a service's problems, listed most reported first.

    Halving weights put the top problem at ~50% (e.g. 52% website, 26% app, 13% login...),
    close to the "most reported problems" Downdetector shows on quiet days.
    """
    weights = 0.5 ** np.arange(len(problems))
    return weights / weights.sum()


def service_country_mix(service: Mapping[str, Any]) -> dict[str, float]:
    """Share of a service's normal reports per country, summing to 1."""
    countries: list[str] = list(service.get("countries") or [])
    own: dict[str, float] = dict(
        service.get("country_weights") or COUNTRY_WEIGHTS.get(service.get("slug", "")) or {}
    )
    if not own and countries:
        # Most important first: a gentle decline down the list.
        raw = {code: 1 / (rank + 1) ** 0.7 for rank, code in enumerate(countries)}
        own = {code: weight / sum(raw.values()) for code, weight in raw.items()}
    # A national bank or carrier hears almost only from home (expats, roaming); global
    # services from everywhere.
    spread = 0.04 if len(countries) <= 2 else 0.15
    return _blend(own, spread)


def _blend(own: Mapping[str, float], spread: float) -> dict[str, float]:
    """`own` shares scaled to 1 - spread, plus `spread` over WORLD_SPREAD."""
    mix: dict[str, float] = {}
    own_total = sum(own.values())
    if not own_total:
        spread = 1.0
    for code, weight in own.items():
        mix[code] = mix.get(code, 0.0) + (1 - spread) * weight / own_total
    world_total = sum(WORLD_SPREAD.values())
    for code, weight in WORLD_SPREAD.items():
        mix[code] = mix.get(code, 0.0) + spread * weight / world_total
    return mix


def demo_windows(
    service: str,
    events: Iterable[DemoEvent],
    *,
    now: datetime,
    weeks: float = 6,
    ahead_hours: float = 3,
) -> list[tuple[int, int]]:
    """Half-open [start, end) epoch-minute ranges to generate for a service, merged.

    The main window is the `weeks` before now plus `ahead_hours` after it (so a live outage
    keeps going while the demo runs); each historic event adds whole UTC days from two weeks
    before to two days after it.
    """
    now_minute = epoch_minute(now)
    windows = [
        (now_minute - round(weeks * 7 * MINUTES_PER_DAY), now_minute + round(ahead_hours * 60))
    ]
    for event in events:
        impact = event.impact(service)
        if impact is None or event.ongoing:
            continue
        first_day = epoch_minute(impact.start - HISTORY_BEFORE) // MINUTES_PER_DAY
        last_day = epoch_minute(impact.end + HISTORY_AFTER) // MINUTES_PER_DAY + 1
        windows.append((first_day * MINUTES_PER_DAY, last_day * MINUTES_PER_DAY))
    windows.sort()
    merged = [windows[0]]
    for start, end in windows[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def generate_counts(
    services: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    seed: int = 42,
    weeks: float = 6,
    ahead_hours: float = 3,
    history: bool = True,
) -> Iterator[ServiceCounts]:
    """Yield each service's report counts (catalogue dicts in, one ServiceCounts out each).

    `services` need slug, category and countries, plus problems or a category known to
    `outages.catalogue.CATEGORY_PROBLEMS`; volume and country_weights, the demo's knobs, come
    from `demo.volumes` unless an entry sets them. Every service draws from its own
    random stream seeded by (seed, slug), so a subset gives the same numbers as the full run.
    """
    events = demo_events(now, history=history)
    now_minute = epoch_minute(now)
    for service in services:
        slug = service["slug"]
        problems = tuple(service_problems(dict(service)))
        rng = np.random.default_rng([seed, zlib.crc32(slug.encode())])
        service_events = [event for event in events if event.impact(slug)]
        windows = demo_windows(slug, service_events, now=now, weeks=weeks, ahead_hours=ahead_hours)
        mix = service_country_mix(service)
        codes = set(mix)
        for event in service_events:
            codes.update(event.countries)
        countries = tuple(sorted(codes))
        parts = [
            _window_counts(
                service,
                start,
                end,
                countries=countries,
                country_mix=mix,
                problems=problems,
                events=service_events,
                now_minute=now_minute,
                rng=rng,
            )
            for start, end in windows
        ]
        minute, country, problem, count = (
            np.concatenate(column) for column in zip(*parts, strict=True)
        )
        yield ServiceCounts(slug, countries, problems, minute, country, problem, count)


def _rhythm_tables(rhythm: str) -> tuple[np.ndarray, np.ndarray]:
    hourly = np.asarray(_DAILY_HOURS[rhythm])
    # Hour h's value sits at h:30; wrap around midnight when interpolating.
    minutes = np.arange(MINUTES_PER_DAY)
    daily = np.interp(minutes, np.arange(-1, 25) * 60 + 30, np.r_[hourly[-1], hourly, hourly[0]])
    return daily, np.asarray(_WEEKLY[rhythm])


def _activity(
    minutes: np.ndarray, offsets: np.ndarray, daily: np.ndarray, weekly: np.ndarray
) -> np.ndarray:
    """Relative activity (T, C) at UTC `minutes` in countries `offsets` minutes ahead of UTC."""
    local = minutes[:, None] + offsets[None, :]
    # The Unix epoch was a Thursday: +3 makes Monday day 0.
    weekday = (local // MINUTES_PER_DAY + 3) % 7
    return daily[local % MINUTES_PER_DAY] * weekly[weekday]


def _normal_rates(
    service: Mapping[str, Any],
    minutes: np.ndarray,
    countries: tuple[str, ...],
    country_mix: Mapping[str, float],
    now_minute: int,
) -> np.ndarray:
    """Expected reports (T, C) of a service's ordinary traffic at UTC `minutes`: its daily and
    weekly rhythm in each country's local time and its growth, without noise or events."""
    daily, weekly = _rhythm_tables(_CATEGORY_RHYTHM[service["category"]])
    offsets = np.array([round(UTC_OFFSET_HOURS.get(code, 0) * 60) for code in countries])
    weights = np.array([country_mix.get(code, 0.0) for code in countries])
    # Scale so the busiest minute of a typical weekday is volume/15 reports worldwide.
    day = np.arange(MINUTES_PER_DAY, dtype=np.int64)
    busiest = (daily[(day[:, None] + offsets[None, :]) % MINUTES_PER_DAY] @ weights).max()
    volume = service.get("volume") or VOLUMES.get(service["slug"], DEFAULT_VOLUME)
    per_minute = float(volume) / 15 / busiest
    growth = (1 + GROWTH_PER_YEAR) ** ((minutes - now_minute) / MINUTES_PER_YEAR)
    return (
        _activity(minutes, offsets, daily, weekly)
        * weights[None, :]
        * (per_minute * growth)[:, None]
    )


def doubling_time(service: Mapping[str, Any], event: DemoEvent, *, now: datetime) -> datetime:
    """The end of the first 15 minutes in which an event's expected extra reports match the
    service's ordinary traffic (reports at twice their normal level), by the demo's own
    noiseless model: the moment a surge's detection delay is counted from."""
    impact = event.impact(service["slug"])
    assert impact is not None
    mix = service_country_mix(service)
    countries = tuple(sorted(set(mix) | set(event.countries)))
    daily, weekly = _rhythm_tables(_CATEGORY_RHYTHM[service["category"]])
    offsets = np.array([round(UTC_OFFSET_HOURS.get(code, 0) * 60) for code in countries])
    first, extra = _event_rates(event, impact, countries, offsets, daily, weekly)
    minutes = np.arange(first, first + len(extra), dtype=np.int64)
    normal = _normal_rates(service, minutes, countries, mix, epoch_minute(now)).sum(axis=1)
    window = np.ones(15)
    doubled = np.convolve(extra.sum(axis=1), window, "valid") >= np.convolve(
        normal, window, "valid"
    )
    if not doubled.any():
        raise ValueError(f"{event.name} never doubles {service['slug']}'s reports")
    return from_epoch_minute(int(minutes[int(np.argmax(doubled)) + len(window) - 1]))


def _window_counts(
    service: Mapping[str, Any],
    start: int,
    end: int,
    *,
    countries: tuple[str, ...],
    country_mix: Mapping[str, float],
    problems: tuple[str, ...],
    events: Sequence[DemoEvent],
    now_minute: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nonzero (minute, country, problem, count) cells of one service in [start, end)."""
    daily, weekly = _rhythm_tables(_CATEGORY_RHYTHM[service["category"]])
    offsets = np.array([round(UTC_OFFSET_HOURS.get(code, 0) * 60) for code in countries])
    minutes = np.arange(start, end, dtype=np.int64)
    slot = minutes // 15 - start // 15
    day_index = minutes // MINUTES_PER_DAY - start // MINUTES_PER_DAY
    noise = (
        rng.gamma(SLOT_NOISE_SHAPE, 1 / SLOT_NOISE_SHAPE, slot[-1] + 1)[slot]
        * rng.gamma(DAY_NOISE_SHAPE, 1 / DAY_NOISE_SHAPE, day_index[-1] + 1)[day_index]
    )
    rates = _normal_rates(service, minutes, countries, country_mix, now_minute) * noise[:, None]

    cells = np.zeros((len(minutes), len(countries), len(problems)), dtype=np.int32)
    _add_reports(cells, 0, rng.poisson(rates), service_problem_mix(problems), rng)

    for event in events:
        impact = event.impact(service["slug"])
        assert impact is not None
        first, event_rates = _event_rates(event, impact, countries, offsets, daily, weekly)
        lo, hi = max(first, start), min(first + len(event_rates), end)
        if lo >= hi:
            continue
        event_rates = event_rates[lo - first : hi - first]
        event_slot = np.arange(lo, hi) // 15
        event_noise = rng.gamma(
            EVENT_NOISE_SHAPE, 1 / EVENT_NOISE_SHAPE, event_slot[-1] - event_slot[0] + 1
        )[event_slot - event_slot[0]]
        mix = _event_problem_mix(impact.problems or event.problems, problems)
        _add_reports(cells, lo - start, rng.poisson(event_rates * event_noise[:, None]), mix, rng)

    t, c, p = np.nonzero(cells)
    return (
        minutes[t],
        c.astype(np.int16),
        p.astype(np.int16),
        cells[t, c, p],
    )


def _add_reports(
    cells: np.ndarray,
    row_offset: int,
    reports: np.ndarray,
    problem_mix: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Split (T, C) report counts over problems and add them into `cells` (T, C, P)."""
    t, c = np.nonzero(reports)
    if len(t):
        cells[t + row_offset, c, :] += rng.multinomial(reports[t, c], problem_mix).astype(np.int32)


def _event_problem_mix(shares: Mapping[str, float], problems: tuple[str, ...]) -> np.ndarray:
    mix = np.array([shares.get(slug, 0.0) for slug in problems])
    # A mix naming none of the service's problems falls back to its normal mix.
    return mix / mix.sum() if mix.sum() > 0 else service_problem_mix(problems)


def _event_rates(
    event: DemoEvent,
    impact: Impact,
    countries: tuple[str, ...],
    offsets: np.ndarray,
    daily: np.ndarray,
    weekly: np.ndarray,
) -> tuple[int, np.ndarray]:
    """(first minute, extra report rates (T, C)) over the whole impact, with no noise.

    Computed over the full impact even when a window cuts it, so the peak stays the
    quoted figure.
    """
    first, last = epoch_minute(impact.start), epoch_minute(impact.end)
    minutes = np.arange(first, last, dtype=np.int64)
    t = (minutes - first).astype(float)
    duration = float(last - first)
    if event.kind == "crash":
        # Reports jump within minutes, ease off as people learn it is down, then fall back
        # to normal over the last stretch as service returns.
        rise = 1 - np.exp(-(t + 1) / 7)
        fatigue = 0.5 + 0.5 * np.exp(-t / (duration / 3))
        recovery = min(max(duration / 5, 20.0), 60.0)
        left = np.clip((duration - t) / recovery, 0, 1)
        profile = rise * fatigue * left * left * (3 - 2 * left)
    else:
        # A demand surge: half-cosine up to its crest, half-cosine down to normal.
        crest = float(epoch_minute(impact.peak_at or impact.start) - first)
        crest = min(max(crest, 1.0), duration - 1)
        up = (1 - np.cos(np.pi * np.clip(t / crest, 0, 1))) / 2
        down = (1 + np.cos(np.pi * np.clip((t - crest) / (duration - crest), 0, 1))) / 2
        profile = np.where(t <= crest, up, down)

    shares = _blend(event.countries, 0.10)
    weights = np.array([shares.get(code, 0.0) for code in countries])
    activity = _activity(minutes, offsets, daily, weekly)
    # A crash is reported by whoever is awake, so night halves a country's share rather than
    # silencing it; a surge's profile already is the daily demand wave.
    awake = np.sqrt(activity) if event.kind == "crash" else np.ones_like(activity)
    rates = profile[:, None] * awake * weights[None, :]

    # Scale so the busiest clock-aligned 15 minutes hold exactly the quoted peak.
    bucket = minutes // 15 - first // 15
    peak = np.bincount(bucket, weights=rates.sum(axis=1)).max()
    return first, rates * (impact.peak_15m / peak)
