"""Benchmark the live detection cycle (and the hourly baseline fit).

Usage: python bench/detection.py [--sizes 1000 10000] [--countries 5] [--real-services 10000]

Series: N services x M countries plus N service-overall series (parent = sum of children).

What is timed:
- The real jobs, from PostgreSQL (``DATABASE_URL`` must name a PostgreSQL database; the
  benchmark works in its own database, ``<name>_bench_detection``, created, migrated and
  dropped by it): 10,000 services x 5 countries + worldwide = 60,000 series with six months
  of history, seeded with COPY (realistic sparse volumes: log-normal popularity, most series a
  few reports a day, a few at several a minute; every service reported in every country, so
  that all 50,000 country series are scored). Minute rows cover the last 28 days (what the
  detector reads: 14 days for the dispersion, 28 for which countries qualify); older history
  is seeded as the hourly roll-up, and the last 28 days are rolled up by the real roll-up.
  Then the Celery tasks themselves (``refresh_baselines``, ``detect_spikes``,
  ``roll_up_hourly_counts``, run with ``apply()``), each in a fresh process: wall time of the
  task and the process's peak resident memory (``ru_maxrss``, Python and Django included).
  The live cycle twice, each in a fresh process that decodes the fit first (``cycle``), then
  as a worker runs it every minute (``steady cycle``, the summary's last figure): in a process
  that has decoded the fit and scored the minute before, the next minute, writing only the
  status rows whose published values changed.
- Live cycle maths, for ALL N*M + N series: expected counts of the last 15 minutes from the baseline
  profile arrays, the 1/5/15-minute negative-binomial tests, the 15-minute threshold band and
  one hysteresis step. The baselines for the cycle are synthetic profile arrays of realistic
  shape (generated directly, not fitted) plus the latest 15 minutes of counts, which is all
  the cycle reads. Best of 3 runs.
- Naive: the same maths with one Python iteration per series and scipy called per series,
  measured on a subset and extrapolated linearly to all series (said so in the output).
The last line printed is the summary; the real jobs' figures are appended to it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detection.engine import (
    MONDAY0,
    WEEK,
    Baseline,
    EngineConfig,
    init_state,
    live_cycle,
)

CFG = EngineConfig()
BUCKET = 60.0
NOW = MONDAY0 + 2900 * WEEK + 3 * 86_400 + 14 * 3600  # a Thursday 14:00 UTC, 2025
WIDTH = max(CFG.scale_buckets(BUCKET))  # minutes a live cycle reads: the widest test window


def daily_shape(slots: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Relative activity per hourly slot of the week: night trough, evening peak, weekends."""
    hour = (slots % 24)[None, :]
    dow = (slots // 24)[None, :]
    shape = 1.0 + 0.7 * np.sin(2 * np.pi * (hour - 9.0 - phase[:, None]) / 24.0)
    return shape * np.where(dow >= 5, 0.8, 1.0)


def synthetic_rates(n_services: int, n_countries: int, rng: np.random.Generator) -> np.ndarray:
    """(n_services * (n_countries + 1), 168) mean reports per minute per slot of the week.

    Service popularity is log-normal (median ~0.05 reports/min, a few at tens per minute);
    country shares are Dirichlet; each country has its own time-zone phase. Children first,
    then one overall row per service (the sum of its countries).
    """
    slots = np.arange(168)
    popularity = rng.lognormal(np.log(0.05), 1.5, n_services)
    shares = rng.dirichlet(np.full(n_countries, 0.7), n_services)
    phase = rng.uniform(-8, 8, n_countries)
    per_country = daily_shape(slots, phase)  # (M, 168)
    child = popularity[:, None, None] * shares[:, :, None] * per_country[None]
    overall = child.sum(axis=1)
    return np.concatenate([child.reshape(-1, 168), overall])


def synthetic_baseline(rates: np.ndarray, rng: np.random.Generator) -> Baseline:
    """Baseline arrays as the hourly fit would leave them (profile, level, dispersion)."""
    n = rates.shape[0]
    return Baseline(
        profile=rates * BUCKET / 60.0,
        level=rng.uniform(0.9, 1.1, n),
        dispersion=np.column_stack([rng.uniform(0.02, 0.3, n) for _ in CFG.scale_buckets(BUCKET)]),
        bucket_seconds=BUCKET,
        slot_seconds=3600.0,
        floor=CFG.prior_rate_per_minute,
        scale_buckets=CFG.scale_buckets(BUCKET),
        fitted_at=NOW,
    )


def latest_counts(baseline: Baseline, rng: np.random.Generator, spike_frac: float) -> np.ndarray:
    """(n, WIDTH) latest minute counts: NB noise around the baseline, a few series spiking."""
    times = NOW - WIDTH * BUCKET + np.arange(WIDTH) * BUCKET
    mu = baseline.expected(times)
    gamma = rng.gamma(1 / baseline.dispersion[:, :1], baseline.dispersion[:, :1] * mu)
    counts = rng.poisson(gamma).astype(float)
    spiking = rng.random(len(counts)) < spike_frac
    counts[spiking, -5:] += rng.poisson(20 * mu[spiking, -5:] + 30)
    return counts


def naive_cycle(
    recent: np.ndarray, baseline: Baseline, levels: list[int], runs: list[list[int]]
) -> None:
    """The same maths, one series at a time, scipy called per series and scale."""
    times = NOW - WIDTH * BUCKET + np.arange(WIDTH) * BUCKET
    spans = (CFG.buckets(CFG.rise_minutes, BUCKET), CFG.buckets(CFG.current_minutes, BUCKET))
    s_pos, s_out = -math.log10(CFG.p_possible), -math.log10(CFG.p_outage)
    adjust = math.log10(len(baseline.scale_buckets))
    for i in range(recent.shape[0]):
        one = baseline.take(np.array([i]))
        exp = one.expected(times)[0]
        raw, best = 0, 0.0
        for j, k in enumerate(baseline.scale_buckets):
            x, mu = recent[i, -k:].sum(), max(exp[-k:].sum(), 1e-9)
            size = 1 / one.dispersion[0, j]
            s = -stats.nbinom.logsf(x - 1, size, size / (size + mu)) / math.log(10) - adjust
            s = max(s, 0.0) if x > mu else 0.0
            for kr in spans:
                if k > kr and recent[i, -kr:].sum() - exp[-kr:].sum() < 0.5 * (x - mu) * kr / k:
                    s = 0.0
            best = max(best, s * min(max((x - mu) / CFG.min_excess_possible, 0), 1))
            if s >= s_out and x - mu >= CFG.min_excess_outage:
                raw = 2
            elif s >= s_pos and x - mu >= CFG.min_excess_possible:
                raw = max(raw, 1)
        mu15 = max(exp[-15:].sum(), 1e-9)
        size = 1 / one.dispersion[0, -1]
        q = CFG.p_possible / len(baseline.scale_buckets)
        _threshold = max(
            stats.nbinom.isf(q, size, size / (size + mu15)) + 1,
            math.ceil(max(mu15 + CFG.min_excess_possible, mu15 * CFG.min_ratio_possible)),
        )
        _score = 1 - 10 ** (-best / s_out)
        run = runs[i]
        run[0] = run[0] + 1 if raw >= 1 else 0
        run[1] = run[1] + 1 if raw >= 2 else 0
        levels[i] = max(levels[i], 2 if run[1] >= 2 else 1 if run[0] >= 2 else 0)


# --- The real jobs, from PostgreSQL ---------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Reports per minute of a service (worldwide): log-normal, median 3 a day, a few at several a
# minute; split over countries by Dirichlet shares, with a floor of one report every two days
# per country (below it a country series would not exist at all in a month).
POPULARITY_MEDIAN, POPULARITY_SIGMA, COUNTRY_FLOOR = 0.002, 2.0, 0.0003
COUNTRIES = ["US", "IN", "GB", "DE", "BR", "FR", "JP", "MX", "CA", "ES"]
MINUTE_DAYS = 28  # minute rows kept: what series_index (28 d) and the dispersion (14 d) read


def _bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench_detection"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _django(url: str, history_days: int) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DETECTION_HISTORY_DAYS=str(history_days),
        # Every service x country series with any report in 28 days is scored: the worst case.
        DETECTION_MIN_COUNTRY_REPORTS="1",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    import django

    django.setup()


def _copy(table: str, columns: str, lines: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as c:
        for start in range(0, len(lines), 200_000):
            c.write("".join(lines[start : start + 200_000]))


def seed(n_services: int, n_countries: int, history_days: int, now: datetime) -> dict:
    """Services, six months of hourly roll-up and 28 days of minute rows, all by COPY."""
    from django.db import connection, transaction

    from outages.models import ProblemType, Service
    from reports.models import HourlyReportCount, ReportCount

    rng = np.random.default_rng(2025)
    problems = [ProblemType.objects.create(slug=f"p{k}", name=f"Problem {k}") for k in range(3)]
    Service.objects.bulk_create(
        Service(slug=f"svc-{i}", name=f"Service {i}", category="other") for i in range(n_services)
    )
    ids = np.array(sorted(Service.objects.values_list("pk", flat=True)))
    # One service in twenty is the child of another (an app of a family): parents' series
    # sum their children's reports.
    children = ids[rng.random(len(ids)) < 0.05]
    parents = rng.choice(np.setdiff1d(ids, children), len(children))
    for child, parent in zip(children.tolist(), parents.tolist(), strict=True):
        Service.objects.filter(pk=child).update(parent_id=parent)
    countries = COUNTRIES[:n_countries]
    popularity = rng.lognormal(np.log(POPULARITY_MEDIAN), POPULARITY_SIGMA, len(ids))
    shares = rng.dirichlet(np.full(n_countries, 0.7), len(ids))
    rate = np.maximum(popularity[:, None] * shares, COUNTRY_FLOOR)  # (services, countries)
    phase = rng.uniform(-8, 8, n_countries)
    end_hour = int(now.timestamp()) // 3600
    first_hour = end_hour - history_days * 24
    minute_hour = end_hour - MINUTE_DAYS * 24  # minute rows from here on
    hour_text = {
        h: f"{datetime.fromtimestamp(h * 3600, UTC):%Y-%m-%d %H:%M:%S}+00"
        for h in range(first_hour, end_hour + 1)
    }
    minute_text = np.array(
        [
            f"{datetime.fromtimestamp(m * 60, UTC):%Y-%m-%d %H:%M:%S}+00"
            for m in range(minute_hour * 60, end_hour * 60 + int(now.minute))
        ],
        dtype=object,
    )
    hours = np.arange(first_hour, end_hour + 1)
    hod, dow = (hours % 24)[None, :], ((hours // 24 + 3) % 7)[None, :]  # day 0 was a Thursday
    shape = (1 + 0.7 * np.sin(2 * np.pi * (hod - 9 - phase[:, None]) / 24)) * np.where(
        dow >= 5, 0.8, 1.0
    )
    hour_rows = minute_rows = 0
    chunk = 250
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are consistent by construction: skip the deferred foreign-key checks, which
        # PostgreSQL would otherwise run one by one for 30 million rows at COMMIT.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for lo in range(0, len(ids), chunk):
            sid = ids[lo : lo + chunk]
            lam = 60 * rate[lo : lo + chunk, :, None] * shape[None]  # (s, c, hours)
            # Over-dispersed: a gamma factor per hour (alpha 0.3) on top of Poisson noise.
            n = rng.poisson(lam * rng.gamma(1 / 0.3, 0.3, lam.shape))
            n[:, :, -1] = 0  # the current hour is not complete: minutes only
            old = n[:, :, : minute_hour - first_hour]
            s_i, c_i, h_i = np.nonzero(old)
            lines = [
                f"{s}\t{c}\t{hour_text[h]}\t{v}\n"
                for s, c, h, v in zip(
                    sid[s_i].tolist(),
                    [countries[k] for k in c_i.tolist()],
                    (h_i + first_hour).tolist(),
                    old[s_i, c_i, h_i].tolist(),
                    strict=True,
                )
            ]
            _copy(HourlyReportCount._meta.db_table, "service_id, country, hour, count", lines)
            hour_rows += len(lines)
            # The last 28 days as minute rows: each hour's reports at uniform random minutes
            # (the current hour's up to now), with a problem type each.
            recent = n[:, :, minute_hour - first_hour :].copy()
            recent[:, :, -1] = rng.poisson(rate[lo : lo + chunk] * shape[None, :, -1] * now.minute)
            s_i, c_i, h_i = np.nonzero(recent)
            reps = recent[s_i, c_i, h_i]
            s_r, c_r, h_r = (np.repeat(a, reps) for a in (s_i, c_i, h_i))
            span = np.where(h_r == recent.shape[2] - 1, max(now.minute, 1), 60)
            minute = h_r * 60 + (rng.random(len(h_r)) * span).astype(np.int64)
            problem = rng.choice(3, len(h_r), p=[0.6, 0.3, 0.1])
            key = ((s_r * n_countries + c_r) * 3 + problem) * (recent.shape[2] * 60) + minute
            key, count = np.unique(key, return_counts=True)
            minute, rest = key % (recent.shape[2] * 60), key // (recent.shape[2] * 60)
            problem, rest = rest % 3, rest // 3
            c_k, s_k = rest % n_countries, rest // n_countries
            lines = [
                f"{s}\t{c}\t{p}\t{m}\t{v}\n"
                for s, c, p, m, v in zip(
                    sid[s_k].tolist(),
                    [countries[k] for k in c_k.tolist()],
                    [problems[k].pk for k in problem.tolist()],
                    minute_text[minute].tolist(),
                    count.tolist(),
                    strict=True,
                )
            ]
            _copy(
                ReportCount._meta.db_table,
                "service_id, country, problem_type_id, minute, count",
                lines,
            )
            minute_rows += len(lines)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "hour_rows": hour_rows,
        "minute_rows": minute_rows,
        "reports_per_minute": float(rate.sum()),
    }


def _task(name: str):
    from detection import tasks as detection_tasks
    from reports import tasks as report_tasks

    return {
        "fit": detection_tasks.refresh_baselines,
        "cycle": detection_tasks.detect_spikes,
        "roll-up": report_tasks.roll_up_hourly_counts,
    }[name]


STAGES = {"fit", "cycle", "steady", "roll-up", "graph"}


def run_stage(stage: str) -> None:
    """In a fresh process: run one task as Celery would (eagerly), print wall and peak RSS."""
    _django(os.environ["DATABASE_URL"], int(os.environ["DETECTION_HISTORY_DAYS"]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if stage == "steady":
        # What a worker does every minute: the fit is decoded (a previous cycle of the same
        # process), and the next minute is scored and only its changed status rows written.
        from detection.models import DetectionCursor
        from detection.services import detect_spikes
        from outages.models import Status

        now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
        DetectionCursor.objects.update_or_create(
            pk=1, defaults={"last_minute": now - timedelta(minutes=3)}
        )
        detect_spikes(now - timedelta(minutes=1))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        detect_spikes(now)
        wall = time.perf_counter() - started
        result = Status.objects.filter(updated_at=now).count()  # rows this cycle wrote
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        print(json.dumps({"wall": wall, "peak_mb": _peak_mb(), "result": result, "cpu": cpu}))
        return
    if stage == "graph":
        from detection.models import SeriesBaseline
        from detection.selectors import baseline_band

        row = SeriesBaseline.objects.order_by("-fit_id", "-position").first()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        started = time.perf_counter()
        result = len(
            baseline_band(
                row.service_id,
                row.country,
                [now - timedelta(minutes=5 * k) for k in range(288, 0, -1)],
                5,
            )[0]
        )
    else:
        result = _task(stage).apply().get()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(json.dumps({"wall": wall, "peak_mb": _peak_mb(), "result": result, "cpu": cpu}))


def _peak_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM). Not ru_maxrss: Linux
    carries that over from the forking parent's pages, which would count the seeder's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage(stage: str, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--stage", stage], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare_db(url: str, bench: str, n_services: int, keep_db: bool) -> bool:
    """Create the benchmark's own database; True if it must be seeded (not reused)."""
    import psycopg

    name = urlsplit(bench).path.lstrip("/")
    if keep_db:
        try:
            with psycopg.connect(bench) as conn:
                found = conn.execute("SELECT count(*) FROM outages_service").fetchone()[0]
            if found == n_services:
                return False
        except psycopg.Error:  # absent or never migrated: start afresh
            pass
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    return True


def real_jobs(n_services: int, n_countries: int, history_days: int, keep_db: bool) -> str:
    """Seed PostgreSQL, run the real tasks; returns the text to append to the summary line."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("real jobs: skipped, DATABASE_URL must name a PostgreSQL database")
        return "; real jobs not run (no PostgreSQL)"
    bench = _bench_url(url)
    needs_seed = _prepare_db(url, bench, n_services, keep_db)
    _django(bench, history_days)
    from django.core.management import call_command
    from django.db import connection

    from detection.models import DetectionCursor
    from reports.models import HourlyReportCount

    call_command("migrate", verbosity=0)
    env = {**os.environ, "DATABASE_URL": bench, "PYTHONPATH": str(ROOT)}
    try:
        if needs_seed:
            now = datetime.now(UTC)
            started = time.perf_counter()
            info = seed(n_services, n_countries, history_days, now)
            print(
                f"seeded {n_services} services x {n_countries} countries by COPY in "
                f"{time.perf_counter() - started:.0f} s: {info['hour_rows']:,} hourly rows "
                f"({history_days} days), {info['minute_rows']:,} minute rows ({MINUTE_DAYS} "
                f"days), {info['reports_per_minute']:.0f} reports/min in all"
            )
            # The last 28 days were stored as minutes only: the real roll-up catches up.
            roll = _stage("roll-up", env)
            print(
                f"hourly roll-up catch-up ({roll['result']} hours of minute rows): "
                f"{roll['wall']:.1f} s, peak {roll['peak_mb']:.0f} MB"
            )
        roll = _stage("roll-up", env)
        print(f"hourly roll-up, steady state: {roll['wall']:.1f} s, peak {roll['peak_mb']:.0f} MB")
        fit = _stage("fit", env)
        print(
            f"hourly baseline fit (refresh_baselines task), {fit['result']} series x "
            f"{history_days} days from PostgreSQL: {fit['wall']:.1f} s "
            f"({fit['cpu']:.0f} s CPU in this process), peak {fit['peak_mb']:.0f} MB"
        )
        cycles = []
        for _ in range(2):  # the first creates the status rows, the second updates them
            last = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
            DetectionCursor.objects.update_or_create(pk=1, defaults={"last_minute": last})
            connection.close()
            cycles.append(_stage("cycle", env))
        cycle = cycles[-1]
        print(
            f"live cycle (detect_spikes task, fresh process: decodes the fit), "
            f"{fit['result']} series: first {cycles[0]['wall']:.1f} s, then "
            f"{cycle['wall']:.1f} s ({cycle['result']} min scored), peak {cycle['peak_mb']:.0f} MB"
        )
        steady = _stage("steady", env)
        print(
            f"live cycle in a worker that has decoded the fit, the next minute: "
            f"{steady['wall']:.2f} s ({steady['cpu']:.2f} s CPU), {steady['result']:,} status "
            f"rows written of {fit['result']:,}"
        )
        graph = _stage("graph", env)
        print(f"graph band of one series (one day, 5-min buckets): {graph['wall'] * 1e3:.0f} ms")
        print(f"hourly rows now: {HourlyReportCount.objects.count():,}; load: {os.getloadavg()}")
    finally:
        connection.close()
        if not keep_db:
            _admin(url, f'DROP DATABASE "{urlsplit(bench).path.lstrip("/")}" WITH (FORCE)')
    return (
        f"; real {fit['result']} series: fit {fit['wall']:.0f} s, peak {fit['peak_mb']:.0f} MB; "
        f"cycle {cycle['wall']:.1f} s, peak {cycle['peak_mb']:.0f} MB; "
        f"graph {graph['wall'] * 1e3:.0f} ms; steady cycle {steady['wall']:.1f} s, "
        f"{steady['result']} rows written"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--countries", type=int, default=5)
    parser.add_argument("--naive-subset", type=int, default=300)
    parser.add_argument("--real-services", type=int, default=10_000)
    parser.add_argument("--history-days", type=int, default=182)
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the seeded db")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        return run_stage(args.stage)
    rng = np.random.default_rng(42)
    m = args.countries
    real = real_jobs(args.real_services, m, args.history_days, args.keep_db)

    summary = ""
    for n in args.sizes:
        rates = synthetic_rates(n, m, rng)
        baseline = synthetic_baseline(rates, rng)
        recent = latest_counts(baseline, rng, spike_frac=0.001)
        total = recent.shape[0]
        state = init_state(total)
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            result, _state, _level = live_cycle(recent, NOW - WIDTH * BUCKET, baseline, state, CFG)
            best = min(best, time.perf_counter() - started)
        sub = min(args.naive_subset, total)
        idx = rng.choice(total, sub, replace=False)
        started = time.perf_counter()
        naive_cycle(recent[idx], baseline.take(idx), [0] * sub, [[0, 0] for _ in range(sub)])
        naive = (time.perf_counter() - started) / sub * total
        print(
            f"cycle {n}x{m} ({total} series incl. {n} overall): {best:.3f} s "
            f"(best of 3); naive loop {naive:.1f} s (extrapolated from {sub} series); "
            f"raw possible {int((result.level >= 1).sum())}, "
            f"outage {int((result.level == 2).sum())}"
        )
        summary = f"detection: {n}x{m} in {best:.2f} s, {naive / best:.0f}x naive"
    print(summary + real)


if __name__ == "__main__":
    main()
