"""`make bench-abuse`: issue 11's attacks replayed against `make serve` (bin/serve) on
PostgreSQL + Redis, over the loopback only, with bounded loops, on this checkout's port.

The server trusts one proxy (NUM_PROXIES=1): this script plays that proxy, so the right-most
X-Forwarded-For hop it sends is "the client", as a real proxy would vouch. Issue 25's counting
attacks (a family, a slow drip, IPv6 /64s of a /48, bursts across 00:00 UTC) each aim at a
series of their own; what cannot wait for the clock (the drip's first half, 29 minutes ago, and
the last midnight) is replayed through report_create at that time. After the attacks a
detection cycle scores up to 10 minutes past them; the last line must read
`abuse: N attacks, 0 incidents opened, 0 valid reports refused, 0 5xx`.

Environment: DATABASE_URL's server (database BENCH_ABUSE_DB, default opendown_abuse, is
recreated), REDIS_URL, BENCH_PORT (default 8765).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest

sys.path.insert(0, str(ingest.ROOT))
from reports import promise

DB = os.environ.get("BENCH_ABUSE_DB", "opendown_abuse")
# bin/serve migrates and loads the catalogue before it listens: on a busy machine that takes
# longer than the ingest benchmark's minute.
ingest.wait_until_up.__defaults__ = (300,)
PORT = ingest.PORT
# Names as the public catalogue spells them; created in the bench database by catalogue_load.
SERVICE = "sora"
tally = {"requests": 0, "5xx": 0, "valid_refused": 0}
problems: list[str] = []


def request(
    method: str,
    path: str,
    *,
    body: object = None,
    headers: list | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    sent = {name.lower() for name, _ in headers or []}
    if "host" not in sent:
        connection.putheader("Host", "localhost")
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    if payload:
        connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(payload)))
    for name, value in headers or []:
        connection.putheader(name, value)
    connection.endheaders(payload)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    tally["requests"] += 1
    if response.status >= 500:
        tally["5xx"] += 1
        problems.append(f"{method} {path}: {response.status} {data[:120]!r}")
    return response.status, dict(response.getheaders()), data


def report(  # type: ignore[no-untyped-def]
    client: str,
    *,
    ua: str = "phone",
    extra: dict | None = None,
    lines: list | None = None,
    service: str = SERVICE,
):
    problem_slug = promise_problems.get(service, problem)
    body = {"service": service, "problem": problem_slug, "country": "US", **(extra or {})}
    forwarded = [("X-Forwarded-For", line) for line in (lines or [client])]
    return request("POST", "/api/v1/reports/", body=body, headers=[("User-Agent", ua), *forwarded])


def honest(client: str, ua: str = "honest-phone") -> None:
    """A well-behaved neighbour's one report: anything but 201 is a valid report refused."""
    status, _, data = report(client, ua=ua)
    if status != 201:
        tally["valid_refused"] += 1
        problems.append(f"valid report from {client} refused: {status} {data[:120]!r}")


def counted(data: bytes) -> bool:
    return json.loads(data).get("counted", False)


def expect(name: str, ok: bool, detail: str) -> None:
    print(f"  {name}: {'held' if ok else 'BROKEN'} ({detail})")
    if not ok:
        problems.append(f"{name}: {detail}")


def psql(env: dict, sql: str) -> str:
    return ingest.run("psql", env["DATABASE_URL"], "-tAc", sql).strip()


# --- the attacks ------------------------------------------------------------------------------


def slash64_one_agent(env: dict) -> None:
    results = [report(f"2001:db8:5:6::{i:x}", ua="sora-app") for i in range(1, 41)]
    n = sum(counted(d) for s, _, d in results if s == 201)
    expect("40 addresses of one /64, one user agent", n <= 1, f"{n} counted")


def slash64_rotating_agents(env: dict) -> None:
    results = [report(f"2001:db8:7:8::{i:x}", ua=f"ua-{i}", service="teams") for i in range(1, 41)]
    n = sum(counted(d) for s, _, d in results if s == 201)
    expect("40 addresses and user agents of one /64", n <= 5, f"{n} counted")


def lone_surrogate_in_a_batch(env: dict) -> None:
    raw = json.dumps({"service": SERVICE, "problem": problem, "country": "US"})
    bad = raw[:-1].encode() + b', "comment": "\\ud800"}'

    def valid(i: int) -> int:
        return report(f"198.18.0.{i + 1}", ua=f"neighbour-{i}", service="snapchat")[0]

    with ThreadPoolExecutor(max_workers=37) as pool:
        bad_status = pool.submit(
            request,
            "POST",
            "/api/v1/reports/",
            raw=bad,
            headers=[("X-Forwarded-For", "198.18.200.1")],
        )
        statuses = list(pool.map(valid, range(36)))
    refused = sum(s != 201 for s in statuses)
    tally["valid_refused"] += refused
    expect(
        "a lone surrogate beside 36 valid reports",
        bad_status.result()[0] == 400 and not refused,
        f"surrogate {bad_status.result()[0]}, {refused} valid refused",
    )


def forwarded_for_ports(env: dict) -> None:
    statuses = [report("", lines=[f"198.51.100.77:{1000 + i}"])[0] for i in range(35)]
    expect(
        "a port per request in X-Forwarded-For",
        statuses.count(429) == 5,
        f"{statuses.count(201)} accepted, {statuses.count(429)} refused at the 30/min limit",
    )


def forwarded_for_extra_line(env: dict) -> None:
    statuses = [report("", lines=[f"6.6.{i}.6", "198.51.100.78"])[0] for i in range(35)]
    expect(
        "a spoofed extra X-Forwarded-For line",
        statuses.count(429) == 5,
        f"{statuses.count(201)} accepted, {statuses.count(429)} refused at the 30/min limit",
    )


def deep_json(env: dict) -> None:
    status, _, _ = request(
        "POST", "/api/v1/reports/", raw=b"[" * 2048, headers=[("X-Forwarded-For", "198.51.100.90")]
    )
    expect("2 KB of nested brackets", status == 400, f"answered {status}")


def nul_query(env: dict) -> None:
    status, _, _ = request("GET", "/?q=%00")
    expect("GET /?q=%00", status == 400, f"answered {status}")


def junk_cache_variants(env: dict) -> None:
    redis = urlsplit(env["REDIS_URL"])
    db = redis.path.lstrip("/") or "0"

    def status_keys() -> int:
        out = subprocess.run(
            [
                "redis-cli",
                "-h",
                redis.hostname,
                "-p",
                str(redis.port or 6379),
                "-n",
                db,
                "--scan",
                "--pattern",
                "*status:*",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return len(out.split())

    before = status_keys()
    for i in range(25):
        request(
            "GET", f"/api/v1/services/?junk{i}=x", headers=[("X-Forwarded-For", "198.51.100.91")]
        )
        request(
            "GET",
            "/api/v1/services/",
            headers=[("X-Forwarded-Proto", f"p{i}"), ("X-Forwarded-For", "198.51.100.91")],
        )
    grown = status_keys() - before
    expect("25 junk query/scheme variants", grown <= 2, f"{grown} new status keys")


def refused_budget(env: dict) -> None:
    for _ in range(45):
        report("198.51.100.120", ua="pushy")
    honest("198.51.100.121")  # its neighbour's first report
    expect("45 tries by one host, then its neighbour", True, "see valid reports refused")


def slash24_rotation(env: dict) -> None:
    results = [report(f"203.0.113.{i}", ua="phone", service="x") for i in range(1, 13)]
    n = sum(counted(d) for s, _, d in results if s == 201)
    expect("12 addresses of one /24", n <= 9, f"{n} counted")


def foreign_host(env: dict) -> None:
    status, _, _ = request(
        "POST",
        "/api/v1/reports/",
        body={"service": SERVICE},
        headers=[("Host", "evil.example"), ("X-Forwarded-For", "198.51.100.92")],
    )
    expect("a Host outside ALLOWED_HOSTS", status == 400, f"answered {status}")


def badge_quotes(env: dict) -> None:
    status, _, svg = request("GET", "/status/quoted/badge.svg")
    tag = re.match(rb"<svg[^>]*>", svg)
    attributes = re.findall(rb'\s([a-z-]+)="', tag.group(0)) if tag else []
    expect(
        'a service name with "',
        status == 200 and b"onload" not in b" ".join(attributes),
        f"attributes {attributes}",
    )


def admin_guessing(env: dict) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://localhost:{PORT}/admin/login/"
    page = opener.open(
        urllib.request.Request(url, headers={"X-Forwarded-For": "198.51.100.93"})
    ).read()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    codes = []
    for i in range(15):
        data = f"csrfmiddlewaretoken={token}&username=admin&password=guess{i}".encode()
        req = urllib.request.Request(
            url, data=data, headers={"X-Forwarded-For": "198.51.100.93", "Referer": url}
        )
        try:
            codes.append(opener.open(req).status)
        except urllib.error.HTTPError as error:
            codes.append(error.code)
    tally["requests"] += 16
    expect("15 admin password guesses", codes.count(429) >= 5, f"{codes.count(429)} refused")


# --- issue 25 items 4-6 (alerts, cache keys, API errors) ---------------------------------------
# Confirmation mails land here as files (EMAIL_URL=filemail://...), one message per "Subject:".
MAIL_DIR = Path(os.environ.get("BENCH_ABUSE_MAIL_DIR", "/tmp/opendown-abuse-mail"))
# Addresses unique to this run: the inbox limits live in Redis, which the bench does not flush
# (an earlier run's "a mail this hour" would otherwise hold the mail back).
RUN = f"{int(time.time()) % 100_000_000:08d}"


def mails_to(inbox_word: str, wait: float = 180.0) -> list[str]:
    """The mails (text) whose recipient holds `inbox_word`, once the worker has sent them
    (the worker may first finish the catalogue's baseline fit: minutes on a busy machine)."""
    deadline = time.monotonic() + wait
    found: list[str] = []
    while time.monotonic() < deadline:
        messages = []
        for path in MAIL_DIR.glob("*"):
            messages += path.read_text(errors="replace").split("-" * 79)
        found = [m for m in messages if re.search(rf"^To: .*{inbox_word}", m, re.M | re.I)]
        if found:
            time.sleep(10)  # let any other queued mail to the same inbox arrive too
            return [
                m
                for path in MAIL_DIR.glob("*")
                for m in path.read_text(errors="replace").split("-" * 79)
                if re.search(rf"^To: .*{inbox_word}", m, re.M | re.I)
            ]
        time.sleep(0.5)
    return found


def subscribe(email: str, client: str, service: str = SERVICE) -> tuple[int, dict, bytes]:
    return request(
        "POST",
        "/api/v1/subscriptions/",
        body={"service": service, "email": email},
        headers=[("X-Forwarded-For", client)],
    )


def victim_plus_tags(env: dict) -> None:
    """Issue 25: victim+N and Gmail dot variants sent 13 mails to one inbox, and the victim's
    own request then got none. Now: one mail, and its link lists the victim's own request."""
    victim = f"victim{RUN}"
    variants = [f"{victim}+{n}@gmail.com" for n in range(10)] + [
        f"{victim[0]}.{victim[1:]}@gmail.com",
        f"{victim[:2]}.{victim[2:]}@googlemail.com",
        ".".join(victim.upper()) + "@gmail.com",
    ]
    for n, address in enumerate(variants):  # 13 networks
        subscribe(address, f"198.19.{n}.5")
    subscribe(f"{victim}@gmail.com", "192.0.2.44", service="chatgpt")  # the victim's own
    mails = mails_to(RUN)
    link = re.search(r"https?://[^/\s]+(/alerts/inbox/\S+/)", mails[0]).group(1) if mails else ""
    listed = b"ChatGPT" in request("GET", link)[2] if link else False
    expect(
        "13 +tag and dot variants of one Gmail inbox, then the victim's own request",
        len(mails) == 1 and listed,
        f"{len(mails)} mails to the inbox; the victim's request on its page: {listed}",
    )


def subscription_state_leak(env: dict) -> None:
    """Issue 25: the answer said `active` or `pending`, telling who is subscribed."""
    subscribe("known-reader@example.org", "192.0.2.50")
    psql(
        env, "UPDATE alerts_subscription SET state='active' WHERE email='known-reader@example.org'"
    )
    known = subscribe("known-reader@example.org", "192.0.2.51")
    stranger = subscribe("stranger@example.org", "192.0.2.52")
    same = (known[0], json.loads(known[2])) == (stranger[0], json.loads(stranger[2]))
    expect(
        "POST a subscription with someone else's address",
        same,
        f"answers {known[0]} {json.loads(known[2]).get('state')} / "
        f"{stranger[0]} {json.loads(stranger[2]).get('state')}",
    )


def redis_keys(env: dict, pattern: str) -> int:
    redis = urlsplit(env["REDIS_URL"])
    out = subprocess.run(
        ["redis-cli", "-h", redis.hostname, "-p", str(redis.port or 6379), "-n",
         redis.path.lstrip("/") or "0", "--scan", "--pattern", pattern],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    return len(out.split())


def junk_query_page_copies(env: dict) -> None:
    """Issue 25: `/?country=zz1`, `zz2`... each stored a ~62 KB page copy for 24 h (600
    requests, 420 keys, 25.6 MB). Now junk values are redirected to the canonical page."""
    forwarded = [("X-Forwarded-For", "198.51.100.94")]
    request("GET", "/", headers=forwarded)
    request("GET", f"/status/{SERVICE}/", headers=forwarded)
    before = redis_keys(env, "*page:*")
    statuses = set()
    for i in range(40):
        for name in ("country", "category", "status", "page", "history"):
            statuses.add(request("GET", f"/?{name}=zz{i}", headers=forwarded)[0])
        statuses.add(request("GET", f"/status/{SERVICE}/?history={i + 2}", headers=forwarded)[0])
    grown = redis_keys(env, "*page:*") - before
    expect(
        "240 junk filter values and history pages",
        grown == 0 and statuses <= {302, 400},
        f"{grown} new page copies in Redis, answers {sorted(statuses)}",
    )


def api_not_found_json(env: dict) -> None:
    status, headers, _ = request("GET", "/api/v1/services/%F0%B1%87%9A/")
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    expect(
        "GET /api/v1/services/%F0%B1%87%9A/",
        status == 404 and kind == "application/json",
        f"{status} {kind}",
    )


def empty_api_parameters(env: dict) -> None:
    paths = [
        "/api/v1/incidents/?since=",
        "/api/v1/services/?category=",
        f"/api/v1/services/{SERVICE}/reports/?bucket=",
        "/api/v1/acknowledgement/?days=",
    ]
    forwarded = [("X-Forwarded-For", "198.51.100.95")]
    statuses = [request("GET", path, headers=forwarded)[0] for path in paths]
    expect("empty since, category, bucket, days", statuses == [400] * 4, f"answered {statuses}")


ATTACKS = [
    slash64_one_agent,
    slash64_rotating_agents,
    lone_surrogate_in_a_batch,
    forwarded_for_ports,
    forwarded_for_extra_line,
    deep_json,
    nul_query,
    junk_cache_variants,
    refused_budget,
    slash24_rotation,
    foreign_host,
    badge_quotes,
    admin_guessing,
    victim_plus_tags,
    subscription_state_leak,
    junk_query_page_copies,
    api_not_found_json,
    empty_api_parameters,
]


# --- the counting promise (issue 25, item 1): one holder never adds a crowd ------------------
# Each attack aims at its own family or service, so what the detector finds there is that
# attack's doing alone; the midnight replay has the detector score its own minutes.
# The services these attacks report to (their problem types are looked up once).
PROMISE_SERVICES = ["meta", "facebook", "instagram", "whatsapp", "messenger"]
PROMISE_SERVICES += ["reddit", "linkedin", "tiktok"]  # the drip, the /48, midnight
# The earlier attacks' own services: each attacker its own series (several attackers'
# networks on one series are a crowd, which no per-network promise can or should stop).
PROMISE_SERVICES += ["teams", "snapchat", "x"]
promise_counted: dict[str, int] = {}


def report_to(service: str, client: str, ua: str) -> bool:
    """One valid report to `service` from `client`: counted or not (refused is a defect)."""
    body = {"service": service, "problem": promise_problems[service], "country": "US"}
    status, _, data = request(
        "POST",
        "/api/v1/reports/",
        body=body,
        headers=[("User-Agent", ua), ("X-Forwarded-For", client)],
    )
    if status != 201:
        tally["valid_refused"] += 1
        problems.append(f"valid report from {client} to {service} refused: {status}")
        return False
    return counted(data)


def manage_shell(env: dict, code: str) -> str:
    return ingest.run(ingest.PYTHON, "manage.py", "shell", "-c", code, env=env)


def one_ipv4_across_a_family(env: dict) -> None:
    family = ["meta", "facebook", "instagram", "whatsapp", "messenger"]
    n = sum(report_to(slug, "192.0.2.10", f"phone-{slug}-{i}") for slug in family for i in range(5))
    promise_counted["192.0.2.0/24"] = n
    expect(
        "5 reports from one IPv4 to each of Meta's 5 services",
        n <= promise.CLIENT_MAX,
        f"{n} of 25 counted, promise {promise.CLIENT_MAX} per client and family",
    )


def one_slash24_across_a_family(env: dict) -> None:
    family = ["meta", "facebook", "instagram", "whatsapp", "messenger"]
    n = sum(report_to(family[i % 5], f"192.0.2.{20 + i}", "phone") for i in range(25))
    n += promise_counted["192.0.2.0/24"]  # that IPv4 is in this /24 too
    expect(
        "25 more addresses of that IPv4's /24 across Meta's family",
        n <= promise.NETWORK_MAX,
        f"{n} counted from the /24, promise {promise.NETWORK_MAX} per network and family",
    )


def slow_drip_from_a_slash24(env: dict) -> None:
    # The first 9 were sent 29 minutes ago: replayed through report_create at that time
    # (this script cannot wait half an hour; the rules are the ones every intake shares).
    out = manage_shell(
        env,
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from outages.models import Service\n"
        "from reports.services import Reporter, report_create\n"
        "s = Service.objects.get(slug='reddit'); p = s.problem_types.first()\n"
        "at = timezone.now() - timedelta(minutes=29)\n"
        "n = sum(report_create(service=s, problem_type=p, country='US', now=at + "
        "timedelta(seconds=i), reporter=Reporter(f'198.19.77.{1 + i}', 'phone')).counted "
        "for i in range(9))\n"
        "print('COUNTED', n)\n",
    )
    before = int(re.search(r"^COUNTED (\d+)$", out, re.M).group(1))
    now = sum(report_to("reddit", f"198.19.77.{10 + i}", "phone") for i in range(9))
    expect(
        "9 reports from one /24, 9 more 29 minutes later",
        before + now <= promise.NETWORK_MAX,
        f"{before} + {now} counted, promise {promise.NETWORK_MAX} per network in any "
        f"{promise.CAP_WINDOW_MINUTES} minutes",
    )


def slash64s_of_one_slash48(env: dict) -> None:
    n = sum(report_to("linkedin", f"2001:db8:4:{i:x}::1", "phone") for i in range(30))
    expect(
        "30 /64s of one IPv6 /48",
        n <= promise.NETWORK_MAX,
        f"{n} counted, promise {promise.NETWORK_MAX} per network",
    )


def bursts_across_midnight(env: dict) -> None:
    # At the last 00:00 UTC, replayed through report_create (a live server's clock cannot be
    # moved), then the detector scores those minutes (backfill: the live scan, hourly refits).
    out = manage_shell(
        env,
        "from datetime import UTC, timedelta\n"
        "from django.utils import timezone\n"
        "from outages.models import Service\n"
        "from reports.services import Reporter, report_create\n"
        "from detection.services import backfill\n"
        "s = Service.objects.get(slug='tiktok'); p = s.problem_types.first()\n"
        "midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, "
        "microsecond=0)\n"
        "def send(address, ua, at):\n"
        "    return report_create(service=s, problem_type=p, country='US', now=at, "
        "reporter=Reporter(address, ua)).counted\n"
        "one = sum(send('192.0.2.200', f'ua-{i}', midnight + timedelta(seconds=3 * i - 15)) "
        "for i in range(10))\n"
        "net = sum(send(f'198.19.78.{1 + i}', 'phone', midnight + timedelta(seconds=2 * i - 18)) "
        "for i in range(18))\n"
        "backfill(midnight - timedelta(minutes=10), midnight + timedelta(minutes=30), "
        "service_ids=[s.pk])\n"
        "print('COUNTED', one, net)\n",
    )
    one, net = map(int, re.search(r"^COUNTED (\d+) (\d+)$", out, re.M).groups())
    expect(
        "one IPv4: 10 reports in 29 s across 00:00 UTC",
        one <= promise.CLIENT_MAX,
        f"{one} counted, promise {promise.CLIENT_MAX}",
    )
    expect(
        "one /24: 18 reports in 37 s across 00:00 UTC",
        net <= promise.NETWORK_MAX,
        f"{net} counted, promise {promise.NETWORK_MAX}",
    )


COUNTING_ATTACKS = [
    one_ipv4_across_a_family,
    one_slash24_across_a_family,
    slow_drip_from_a_slash24,
    slash64s_of_one_slash48,
    bursts_across_midnight,
]


def main() -> None:
    global problem
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opendown"))
    env = ingest.bench_env(
        DATABASE_URL=urlunsplit(base._replace(path=f"/{DB}")),
        NUM_PROXIES="1",
        # The production limits, not the load test's: this is what an attacker meets.
        REPORT_RATE_LIMIT="30/min",
        REPORT_NETWORK_RATE_LIMIT="600/min",
        API_RATE_LIMIT="600/min",
        REPORT_MAX_COUNTED_PER_ADDRESS=str(promise.CLIENT_MAX),
        REPORT_MAX_COUNTED_PER_NETWORK=str(promise.NETWORK_MAX),
        DJANGO_SETTINGS_MODULE="config.settings",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        # django-environ drops the first "/" of the path: four in all for an absolute one.
        EMAIL_URL=f"filemail:///{MAIL_DIR.resolve()}",
    )
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir(parents=True)
    admin = urlunsplit(base._replace(path="/postgres"))
    ingest.run("psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    ingest.run("psql", admin, "-qc", f"CREATE DATABASE {DB}")
    ingest.run(ingest.PYTHON, "manage.py", "migrate", "--noinput", env=env)
    setup = (
        "from outages.services import catalogue_load; catalogue_load()\n"
        "from outages.models import Service\n"
        "Service.objects.create(slug='quoted', name='Evil\" onload=\"alert(1)')\n"
        f"print('PROBLEM', Service.objects.get(slug='{SERVICE}').problem_types.first().slug)\n"
        "from detection.services import refresh_baselines; refresh_baselines()\n"
    )
    out = ingest.run(ingest.PYTHON, "manage.py", "shell", "-c", setup, env=env)
    problem = re.search(r"^PROBLEM (\S+)$", out, re.M).group(1)
    slugs = ", ".join(map(repr, PROMISE_SERVICES))
    promise_problems.update(
        line.split()
        for line in psql(
            env,
            "SELECT s.slug || ' ' || min(p.slug) FROM outages_service s JOIN "
            "outages_service_problem_types t ON t.service_id = s.id JOIN outages_problemtype p "
            f"ON p.id = t.problemtype_id WHERE s.slug IN ({slugs}) "
            "GROUP BY s.slug",
        ).splitlines()
    )
    with ingest.serving(["bash", "bin/serve"], env):
        for attack in ATTACKS:
            attack(env)
        for attack in COUNTING_ATTACKS:
            attack(env)
    # Detection scores complete minutes: wait for this one to end, then run a cycle.
    time.sleep(61 - time.time() % 60)
    ingest.run(
        ingest.PYTHON,
        "manage.py",
        "shell",
        "-c",
        # Ten minutes on, as if nobody reported after the attacks: the hysteresis then has
        # had the minutes a crowd's incident needs to open (a cycle right after the attacks
        # would score them before any could).
        "from datetime import timedelta; from django.utils import timezone\n"
        "from detection.services import detect_spikes\n"
        "detect_spikes(timezone.now() + timedelta(minutes=10))",
        env=env,
    )
    incidents = int(psql(env, "SELECT count(*) FROM outages_incident"))
    stored = psql(env, "SELECT count(*) FROM reports_report")
    print(f"  {tally['requests']} requests, {stored} reports stored")
    for line in problems:
        print(f"  problem: {line}")
    print(
        f"abuse: {len(ATTACKS) + len(COUNTING_ATTACKS)} attacks, {incidents} incidents opened, "
        f"{tally['valid_refused']} valid reports refused, {tally['5xx']} 5xx"
    )
    if incidents or tally["valid_refused"] or tally["5xx"] or problems:
        sys.exit(1)


problem = ""
promise_problems: dict[str, str] = {}

if __name__ == "__main__":
    main()
