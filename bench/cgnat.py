"""`make bench-cgnat`: what the counting promise (reports/promise.py) costs honest people who
share one IPv4 address (a carrier's NAT, CGNAT; an office; a campus), measured.

A service with an ordinary day (2 days of history at 0.5 reports a minute from everyone) has
a real outage: R people report within 10 minutes, each once, through report_create (the rules
every intake path shares), then the detector replays those minutes (backfill: the live scan
with hourly refits). A share of the R sit behind CGNAT: one shared IPv4 address, or a pool of
8 addresses in one /24; the rest each have their own address in their own /24. Printed per
scenario: reports counted, and whether the outage opened within 30 minutes.

Runs on its own SQLite file (BENCH_CGNAT_DB, default var/bench_cgnat.sqlite3, recreated), or on
DATABASE_URL if given. The last line reads
`cgnat: N users behind one IPv4 count K; an outage of R reporters half behind it opens: yes`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path(os.environ.get("BENCH_CGNAT_DB", ROOT / "var" / "bench_cgnat.sqlite3"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

OUTAGE = datetime(2026, 5, 5, 14, 3, tzinfo=UTC)  # a weekday afternoon, off any cap step
BACKGROUND_PER_MINUTE = 0.5
SPREAD = 10 * 60  # seconds over which the outage's reporters arrive


def scenario(reporters: int, behind_nat: int, pool: int, seed: int) -> tuple[int, int, bool]:
    """(reports counted of those behind NAT, of all, outage opened) for one outage, rolled
    back afterwards."""
    from django.db import transaction

    from detection import services as detection
    from outages.models import Incident, ProblemType, Service
    from reports.models import Report, ReportCount
    from reports.services import Reporter, report_create

    rng = np.random.default_rng(seed)
    savepoint = transaction.savepoint()
    try:
        service = Service.objects.create(slug="mobilebank", name="Mobile Bank", category="banking")
        problem, _ = ProblemType.objects.get_or_create(slug="login", defaults={"name": "Login"})
        service.problem_types.add(problem)
        history = 2 * 24 * 60
        counts = rng.poisson(BACKGROUND_PER_MINUTE, history)
        start = OUTAGE - timedelta(minutes=history)
        ReportCount.objects.bulk_create(
            ReportCount(
                service=service,
                country="IN",
                problem_type=problem,
                minute=start + timedelta(minutes=int(i)),
                count=int(counts[i]),
            )
            for i in np.flatnonzero(counts)
        )
        nat = {
            n: f"100.64.7.{n % pool + 1}" for n in range(behind_nat)
        }  # RFC 6598 space: as a carrier's public pool would be, one /24
        for n, offset in enumerate(np.sort(rng.integers(0, SPREAD, reporters))):
            address = nat.get(n, f"10.{n // 250}.{n % 250}.9")
            report_create(
                service=service,
                problem_type=problem,
                country="IN",
                reporter=Reporter(address, f"phone-{n}"),  # each person, their own phone
                now=OUTAGE + timedelta(seconds=int(offset)),
            )
        # Reports in arrival order: the n-th is person n's (behind NAT if n is in `nat`).
        flags = list(Report.objects.order_by("created_at", "pk").values_list("counted", flat=True))
        nat_counted = sum(flags[n] for n in range(len(flags)) if n in nat)
        detection.backfill(
            OUTAGE - timedelta(minutes=5), OUTAGE + timedelta(minutes=30), history_days=2
        )
        opened = Incident.objects.filter(service=service).exists()
        return nat_counted, sum(flags), opened
    finally:
        transaction.savepoint_rollback(savepoint)


def main() -> None:
    import django

    if os.environ["DATABASE_URL"].startswith("sqlite") and DB.exists():
        DB.unlink()
    DB.parent.mkdir(exist_ok=True)
    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from reports import promise

    call_command("migrate", verbosity=0)
    print(
        f"counting promise: {promise.CLIENT_MAX} per client, {promise.NETWORK_MAX} per network, "
        f"per family in any {promise.CAP_WINDOW_MINUTES} minutes; the detector's crowd is "
        f"{promise.DETECTOR_CROWD} above expected"
    )
    print(
        f"{'reporters':>9} {'behind NAT':>10} {'NAT addresses':>13} {'NAT counted':>11} "
        f"{'all counted':>11} {'outage opened':>13}"
    )
    results = {}
    with transaction.atomic():
        for reporters, behind, pool in [
            (100, 100, 1),
            (100, 100, 8),
            (40, 0, 1),
            (40, 20, 1),
            (40, 30, 1),
            (30, 0, 1),
            (30, 15, 1),
            (30, 15, 8),
            (20, 0, 1),
            (20, 10, 1),
        ]:
            found = scenario(reporters, behind, pool, seed=reporters * 1000 + behind + pool)
            results[(reporters, behind, pool)] = found
            nat_counted, counted, opened = found
            print(
                f"{reporters:>9} {behind:>10} {pool:>13} {nat_counted:>11} {counted:>11} "
                f"{'yes' if opened else 'no':>13}"
            )
    alone = results[(100, 100, 1)]
    half = results[(40, 20, 1)]
    print(
        f"cgnat: 100 users behind one IPv4 count {alone[0]}; an outage of 40 reporters half "
        f"behind it opens: {'yes' if half[2] else 'no'}"
    )


if __name__ == "__main__":
    main()
