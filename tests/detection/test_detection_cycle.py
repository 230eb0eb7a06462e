"""The live detector end to end on a small synthetic history stored as roll-up rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine

from detection import services, signals
from detection.models import DetectionCursor
from outages.models import Incident, IncidentLink, Level, LinkReason, Status
from tests.factories import ServiceFactory
from tests.helpers import store_minute_counts

pytestmark = pytest.mark.django_db
# A Wednesday evening; two weeks of quiet history end here.
SPIKE_AT = datetime(2024, 12, 11, 18, 0, tzinfo=UTC)
HISTORY = timedelta(days=14)


def daily_rates(start: datetime, minutes: int, peak: float) -> np.ndarray:
    """Reports per minute with a daily rhythm: quiet nights, busy evenings (UTC)."""
    hours = ((start.timestamp() / 60 + np.arange(minutes)) / 60) % 24
    return peak * (0.2 + 0.8 * np.clip(np.sin((hours - 6) / 24 * 2 * np.pi), 0, None))


@pytest.fixture
def meta_apps():
    rng = np.random.default_rng(7)
    parent = ServiceFactory(slug="meta", name="Meta", problems=["app"])
    apps = [
        ServiceFactory(
            slug=slug,
            name=slug.title(),
            parent=parent,
            problems=["app", "login"],
            provider_tags=["meta-infra"],
        )
        for slug in ("facebook", "instagram")
    ]
    start = SPIKE_AT - HISTORY
    minutes = int((HISTORY + timedelta(hours=3)).total_seconds() // 60)
    for app in apps:
        counts = rng.poisson(daily_rates(start, minutes, peak=1.0))
        spike = slice(int(HISTORY.total_seconds() // 60), int(HISTORY.total_seconds() // 60) + 60)
        counts[spike] += rng.poisson(40, size=60)  # an hour of outage: 40x the evening peak
        store_minute_counts(app, start, counts)
    return parent, apps


def run_until(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        services.refresh_baselines()
        services.detect_spikes()


def test_quiet_history_raises_no_incident(meta_apps):
    run_until(SPIKE_AT - timedelta(minutes=1))

    assert Incident.objects.count() == 0
    assert set(Status.objects.values_list("level", flat=True)) == {Level.OK}


def test_spike_opens_an_incident_within_five_minutes(meta_apps):
    _, (facebook, _) = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=30))
    with time_machine.travel(SPIKE_AT + timedelta(minutes=5, seconds=5), tick=False):
        services.detect_spikes()

    incident = Incident.objects.get(service=facebook, country="")
    assert incident.ended_at is None
    assert SPIKE_AT <= incident.started_at <= SPIKE_AT + timedelta(minutes=5)
    status = Status.objects.get(service=facebook, country="")
    assert status.level == Level.OUTAGE
    assert status.since == incident.started_at
    assert status.threshold_15m > status.expected_15m


def test_incident_records_peak_problems_and_countries_and_closes(meta_apps):
    _, (facebook, _) = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=30))
    with time_machine.travel(SPIKE_AT + timedelta(hours=2), tick=False):
        services.detect_spikes()

    incident = Incident.objects.get(service=facebook, country="")
    assert incident.ended_at is not None
    assert SPIKE_AT + timedelta(minutes=55) <= incident.ended_at <= SPIKE_AT + timedelta(minutes=80)
    assert incident.peak_reports > 15 * 30
    assert incident.expected_at_peak < 30
    assert incident.severity == Level.OUTAGE
    assert incident.top_problems[0]["slug"] == "app"
    assert incident.top_countries[0]["country"] == "US"
    assert Status.objects.get(service=facebook, country="").level == Level.OK


def test_parent_series_sums_children_and_alarms_with_them(meta_apps):
    parent, _ = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=30))
    with time_machine.travel(SPIKE_AT + timedelta(minutes=10), tick=False):
        services.detect_spikes()

    incident = Incident.objects.get(service=parent, country="")
    assert {p["slug"] for p in incident.top_problems} == {"facebook", "instagram"}


def test_incidents_of_one_family_are_linked_with_their_reason(meta_apps):
    _, (facebook, instagram) = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=30))
    with time_machine.travel(SPIKE_AT + timedelta(minutes=10), tick=False):
        services.detect_spikes()

    fb = Incident.objects.get(service=facebook, country="")
    ig = Incident.objects.get(service=instagram, country="")
    link = IncidentLink.objects.get(
        from_incident=min(fb, ig, key=lambda i: i.pk), to_incident=max(fb, ig, key=lambda i: i.pk)
    )
    assert link.reason == LinkReason.SAME_PARENT
    # Stored as data, put in words at display in the reader's language.
    assert link.params == {"parent": "Meta"}
    assert link.detail_text() == "both Meta"


def test_running_a_cycle_twice_changes_nothing(meta_apps):
    run_until(SPIKE_AT - timedelta(minutes=30))
    moment = SPIKE_AT + timedelta(minutes=20)
    with time_machine.travel(moment, tick=False):
        services.detect_spikes()
        before = list(Incident.objects.order_by("pk").values())
        statuses = list(Status.objects.order_by("pk").values("level", "detector_state"))
        assert services.detect_spikes() == 0

    assert list(Incident.objects.order_by("pk").values()) == before
    assert list(Status.objects.order_by("pk").values("level", "detector_state")) == statuses
    assert DetectionCursor.objects.get().last_minute == moment.replace(second=0) - timedelta(
        minutes=1
    )


def test_minute_by_minute_cycles_agree_with_one_catch_up_cycle(meta_apps):
    _, (facebook, _) = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=5))
    for minute in range(0, 16):
        with time_machine.travel(SPIKE_AT + timedelta(minutes=minute), tick=False):
            services.detect_spikes()
    stepwise = Incident.objects.get(service=facebook, country="")

    Incident.objects.all().delete()
    Status.objects.all().delete()
    DetectionCursor.objects.all().delete()
    run_until(SPIKE_AT - timedelta(minutes=5))
    with time_machine.travel(SPIKE_AT + timedelta(minutes=15), tick=False):
        services.detect_spikes()
    at_once = Incident.objects.get(service=facebook, country="")

    assert (stepwise.started_at, stepwise.peak_reports) == (
        at_once.started_at,
        at_once.peak_reports,
    )


def test_backfill_finds_the_past_spike_and_is_repeatable(meta_apps):
    _, (facebook, _) = meta_apps
    window = (SPIKE_AT - timedelta(hours=2), SPIKE_AT + timedelta(hours=3))

    made = services.backfill(*window)
    again = services.backfill(*window)

    assert made == again
    incident = Incident.objects.get(service=facebook, country="")
    assert SPIKE_AT <= incident.started_at <= SPIKE_AT + timedelta(minutes=5)
    assert incident.ended_at is not None


def test_series_api_carries_the_baseline_band_once_fitted(meta_apps, api_client):
    run_until(SPIKE_AT - timedelta(minutes=30))
    with time_machine.travel(SPIKE_AT + timedelta(minutes=30), tick=False):
        rows = api_client.get("/api/v1/services/facebook/reports/?hours=6&bucket=15m").json()

    assert len(rows) == 24
    assert all(r["baseline"] is not None and r["threshold"] > r["baseline"] for r in rows)
    assert max(r["count"] for r in rows) > rows[-1]["threshold"]
    quiet = rows[0]
    assert quiet["count"] < quiet["threshold"]


def test_housekeeping_closes_incidents_of_series_no_longer_scored(meta_apps):
    _, (facebook, _) = meta_apps
    run_until(SPIKE_AT - timedelta(minutes=30))
    stray = Incident.objects.create(
        service=facebook,
        country="ZW",
        started_at=SPIKE_AT,
        peak_at=SPIKE_AT,
        peak_reports=30,
        expected_at_peak=1.0,
    )

    closed = services.close_orphaned_incidents(SPIKE_AT + timedelta(hours=1))

    assert closed == 1
    stray.refresh_from_db()
    assert stray.ended_at == SPIKE_AT + timedelta(hours=1)


def test_only_one_open_incident_per_service_and_scope_is_allowed(meta_apps):
    from django.db import IntegrityError, transaction

    _, (facebook, _) = meta_apps
    fields = {
        "service": facebook,
        "country": "",
        "started_at": SPIKE_AT,
        "peak_at": SPIKE_AT,
        "peak_reports": 1,
        "expected_at_peak": 1.0,
    }
    Incident.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(**fields)


def test_celery_tasks_run_the_cycle(meta_apps, settings):
    from detection import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with time_machine.travel(SPIKE_AT + timedelta(minutes=10), tick=False):
        assert tasks.refresh_baselines.delay().get() > 0
        assert tasks.detect_spikes.delay().get() > 0
        assert tasks.detect_spikes.delay().get() == 0

    assert Incident.objects.filter(country="").count() >= 2


def test_a_refit_at_the_same_instant_replaces_the_fit_with_the_same_arrays(meta_apps, settings):
    from detection import tasks
    from detection.models import BaselineFit

    settings.CELERY_TASK_ALWAYS_EAGER = True
    at = SPIKE_AT - timedelta(minutes=30)
    with time_machine.travel(SPIKE_AT, tick=False):
        tasks.refresh_baselines.delay(at=at.isoformat()).get()
        first = BaselineFit.objects.get(fitted_at=at)
        first_rows = [
            bytes(p) for p in first.rows.order_by("position").values_list("payload", flat=True)
        ]
        tasks.refresh_baselines.delay(at=at.isoformat()).get()  # as if redelivered

    again = BaselineFit.objects.get(fitted_at=at)
    assert again.pk != first.pk
    again_rows = again.rows.order_by("position").values_list("payload", flat=True)
    assert [bytes(p) for p in again_rows] == first_rows
    assert again.series == first.series


def test_a_cycle_rewrites_only_the_statuses_that_changed(meta_apps):
    _, (facebook, _) = meta_apps
    silent = ServiceFactory(slug="silent", name="Silent", problems=["app"])
    first = SPIKE_AT - timedelta(minutes=30)
    run_until(first)
    later = SPIKE_AT + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        services.detect_spikes()

    quiet = Status.objects.get(service=silent, country="")
    alarmed = Status.objects.get(service=facebook, country="")
    assert quiet.updated_at == first and quiet.level == Level.OK  # nothing new: not rewritten
    assert alarmed.updated_at == later and alarmed.level != Level.OK


def test_an_outage_back_within_hours_reopens_its_incident_without_a_new_alarm(db):
    # One service: two weeks of quiet, an hour of outage, two quiet hours, then it is back.
    rng = np.random.default_rng(11)
    service = ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["app"])
    start = SPIKE_AT - HISTORY
    minutes = int((HISTORY + timedelta(hours=5)).total_seconds() // 60)
    counts = rng.poisson(daily_rates(start, minutes, peak=1.0))
    first = int(HISTORY.total_seconds() // 60)
    counts[first : first + 60] += rng.poisson(40, size=60)
    counts[first + 180 : first + 210] += rng.poisson(40, size=30)
    store_minute_counts(service, start, counts)
    sent = []

    def record(sender, incident, transition, **kwargs):
        sent.append((incident.pk, transition))

    signals.incident_changed.connect(record)
    try:
        run_until(SPIKE_AT - timedelta(minutes=30))
        for hours in (1.5, 2.75, 4.0):  # open and close, quiet, back again
            with time_machine.travel(SPIKE_AT + timedelta(hours=hours), tick=False):
                services.detect_spikes()
    finally:
        signals.incident_changed.disconnect(record)

    incident = Incident.objects.get(service=service, country="")
    assert SPIKE_AT <= incident.started_at <= SPIKE_AT + timedelta(minutes=5)
    assert incident.ended_at >= SPIKE_AT + timedelta(hours=3, minutes=30)  # the second hour
    # Opened once, ended twice (it closed, reopened, closed again), in every scope it had.
    transitions = [t for pk, t in sent if pk == incident.pk]
    assert transitions == [signals.OPENED, signals.ENDED, signals.ENDED]
    assert Incident.objects.count() == len({pk for pk, t in sent if t == signals.OPENED})
