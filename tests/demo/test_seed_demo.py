from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from demo.traffic import HISTORIC_EVENTS, ServiceCounts, demo_events, generate_counts
from outages.catalogue import SERVICES
from outages.models import Service
from reports.models import ReportCount

NOW = datetime(2026, 11, 25, 13, 20, 31, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
CATALOGUE = {service["slug"]: service for service in SERVICES}


def _generate(*slugs: str, **options) -> dict[str, ServiceCounts]:
    options = {"now": NOW, "weeks": 1, **options}
    return {
        counts.service: counts
        for counts in generate_counts([CATALOGUE[slug] for slug in slugs], **options)
    }


@pytest.fixture(scope="module")
def demo() -> dict[str, ServiceCounts]:
    """One short run with history, shared by the tests that only read it."""
    return _generate("chatgpt", "facebook", "instagram")


def _event(name_starts: str):
    return next(event for event in HISTORIC_EVENTS if event.name.startswith(name_starts))


def _normal_15m(counts: ServiceCounts, before: datetime) -> float:
    """Mean reports per 15 minutes over the 13 days ending a day before `before`."""
    start, end = before - timedelta(days=14), before - timedelta(days=1)
    return counts.total(start, end) / ((end - start) / QUARTER)


def test_generator_is_deterministic_for_a_seed():
    first = _generate("chatgpt", "jio", history=False, seed=7)
    again = _generate("chatgpt", "jio", history=False, seed=7)
    other = _generate("chatgpt", "jio", history=False, seed=8)

    for slug in ("chatgpt", "jio"):
        for column in ("minute", "country", "problem", "count"):
            assert np.array_equal(getattr(first[slug], column), getattr(again[slug], column))
    assert not np.array_equal(first["chatgpt"].count, other["chatgpt"].count)


def test_cells_are_nonzero_unique_and_inside_the_requested_window():
    counts = _generate("chatgpt", history=False)["chatgpt"]
    cells = np.stack([counts.minute, counts.country, counts.problem])

    assert (counts.count > 0).all()
    assert np.unique(cells, axis=1).shape[1] == len(counts)
    assert counts.minute.min() >= (NOW - timedelta(weeks=1)).timestamp() // 60 - 1
    assert counts.minute.max() < (NOW + timedelta(hours=3)).timestamp() // 60


def test_quiet_nights_are_a_fraction_of_the_evening_in_local_time():
    jio = _generate("jio", history=False, weeks=2)["jio"]
    minute_of_day_ist = (jio.minute + 330) % 1440
    hour = minute_of_day_ist // 60
    night = jio.count[(hour >= 2) & (hour < 5)].sum() / 3
    day = jio.count[(hour >= 10) & (hour < 13)].sum() / 3

    assert 0.05 < night / day < 0.3


def test_meta_outage_puts_facebook_far_above_its_normal_level_at_the_real_date(demo):
    meta = _event("Meta")
    facebook = demo["facebook"]
    start = meta.impact("facebook").start
    normal = _normal_15m(facebook, start)
    peak = max(facebook.total(start + i * QUARTER, start + (i + 1) * QUARTER) for i in range(8))

    assert start == datetime(2024, 12, 11, 17, 30, tzinfo=UTC)
    assert 80_000 < peak < 130_000
    assert peak > 1000 * normal
    assert facebook.total(start - 4 * QUARTER, start) < 10 * 4 * normal


def test_instagram_is_back_to_normal_after_six_hours_while_facebook_is_still_elevated(demo):
    meta = _event("Meta")
    start = meta.start
    later = start + timedelta(hours=6, minutes=15)
    instagram, facebook = demo["instagram"], demo["facebook"]

    assert meta.impact("instagram").end == start + timedelta(hours=6)
    assert instagram.total(later, later + 2 * QUARTER) < 4 * 2 * _normal_15m(instagram, start)
    assert facebook.total(later, later + 2 * QUARTER) > 100 * 2 * _normal_15m(facebook, start)


def test_ghibli_surge_is_mostly_image_generation_and_website(demo):
    chatgpt = demo["chatgpt"]
    surge = _event("ChatGPT image generation surge (30 March")
    problems = chatgpt.problem_totals(surge.start, surge.end)

    share = (problems["image-generation"] + problems["website"]) / sum(problems.values())
    assert share > 0.7
    assert problems["image-generation"] > problems["website"]


def test_ghibli_surge_rises_over_hours_and_peaks_near_a_thousand(demo):
    chatgpt = demo["chatgpt"]
    surge = _event("ChatGPT image generation surge (01 April")
    buckets = [
        chatgpt.total(surge.start + i * QUARTER, surge.start + (i + 1) * QUARTER)
        for i in range(int((surge.end - surge.start) / QUARTER))
    ]
    peak_at = int(np.argmax(buckets))

    assert 1_000 < max(buckets) < 4_000
    # A slow surge, not a crash: the first hour is far below the crest, hours before it.
    assert max(buckets[:4]) < max(buckets) / 4
    assert peak_at >= 4 * 3
    at_peak = surge.start + peak_at * QUARTER
    countries = chatgpt.country_totals(at_peak - QUARTER, at_peak + 2 * QUARTER)
    assert countries["US"] > countries["IN"] > 0


def test_ongoing_outage_is_under_way_at_now(demo):
    chatgpt = demo["chatgpt"]
    live = [event for event in demo_events(NOW) if event.ongoing]

    assert len(live) == 1
    assert live[0].start < NOW < live[0].end
    assert {"chatgpt", "openai-api"} <= set(live[0].services)
    assert chatgpt.total(NOW - QUARTER, NOW) > 50 * _normal_15m(chatgpt, NOW)


def test_every_historic_event_is_in_the_event_list_with_services_and_mixes():
    events = demo_events(NOW)

    assert len(events) == len(HISTORIC_EVENTS) + 1
    for event in events:
        assert event.services and event.start < event.end
        assert event.countries and abs(sum(event.problems.values()) - 1) < 0.01
        assert set(event.services) <= set(CATALOGUE)
    assert len(demo_events(NOW, history=False)) == 1


@pytest.mark.django_db
def test_seed_demo_inserts_rows_and_running_it_twice_gives_the_same_rows():
    arguments = ["--weeks", "1", "--services", "chatgpt,facebook", "--no-history-events"]
    arguments += ["--now", NOW.isoformat()]

    call_command("seed_demo", *arguments, stdout=StringIO())
    first = sorted(ReportCount.objects.values_list("service__slug", "minute", "country", "count"))
    call_command("seed_demo", *arguments, stdout=StringIO())
    again = sorted(ReportCount.objects.values_list("service__slug", "minute", "country", "count"))

    assert len(first) > 1000
    assert first == again
    assert {row[0] for row in first} == {"chatgpt", "facebook"}


@pytest.mark.django_db
def test_seeded_minutes_are_found_by_datetime_lookups():
    call_command(
        "seed_demo",
        "--weeks=0.1",
        "--services=chatgpt",
        "--no-history-events",
        f"--now={NOW.isoformat()}",
        stdout=StringIO(),
    )
    minute = NOW.replace(second=0) - timedelta(minutes=5)

    # The live outage: hundreds of reports in that one minute, found by an exact lookup.
    assert sum(ReportCount.objects.filter(minute=minute).values_list("count", flat=True)) > 100
    assert not ReportCount.objects.filter(minute__gte=NOW + timedelta(hours=3)).exists()


@pytest.mark.django_db
def test_seed_demo_with_services_keeps_the_other_services_counts():
    options = ["--weeks=0.1", "--no-history-events", f"--now={NOW.isoformat()}"]
    call_command("seed_demo", "--services=jio", *options, stdout=StringIO())
    jio_rows = ReportCount.objects.filter(service__slug="jio").count()

    call_command("seed_demo", "--services=bkash", *options, stdout=StringIO())

    assert jio_rows > 0
    assert ReportCount.objects.filter(service__slug="jio").count() == jio_rows
    assert ReportCount.objects.filter(service__slug="bkash").exists()
    assert Service.objects.count() == len(SERVICES)


@pytest.mark.django_db
def test_seed_demo_rejects_unknown_services():
    with pytest.raises(CommandError, match="not-a-service"):
        call_command("seed_demo", "--services=chatgpt,not-a-service", stdout=StringIO())
