"""Settings for every environment, read from environment variables in this one place.

Development and production differ only by environment values (see .env.example):
- no DATABASE_URL: an embedded SQLite file under var/;
- no REDIS_URL: a local-memory cache and a filesystem Celery broker under var/, so a
  worker and beat run on one machine with no server installed.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from reports import promise as counting_promise

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A developer's local overrides; never committed (see .env.example).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"


def refuse_placeholders(debug: bool, settings: dict[str, str]) -> None:
    """Outside DEBUG, refuses the values .env.example ships ("change-me...") in the settings
    that hold secrets (a URL's password included), naming the setting: a copied .env.example
    must not run in public with a secret everyone can read."""
    if debug:
        return
    from urllib.parse import urlsplit

    for name, value in settings.items():
        secret = value if "://" not in value else (urlsplit(value).password or "")
        if secret.lower().startswith("change-me"):
            raise ImproperlyConfigured(
                f"{name} is still the placeholder from .env.example ({secret!r}): set a random "
                "value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )


refuse_placeholders(
    DEBUG,
    {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL (POSTGRES_PASSWORD)": env.str("DATABASE_URL", default=""),
        "REDIS_URL (REDIS_PASSWORD)": env.str("REDIS_URL", default=""),
    },
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    # Before drf_spectacular: web's templates override its Swagger page.
    "web",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "outages",
    "reports",
    "mentions",
    "detection",
    "alerts",
    "official",
    "opendata",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML pages gzipped (static files come precompressed from WhiteNoise above; the API as
    # before). Mindful of BREACH: see the class.
    "config.middleware.PageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A NUL, lone surrogate or control character in the query string is a 400 up front.
    "config.middleware.BadQueryMiddleware",
    # Last, so its process_exception sees exceptions from views first.
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "web.context_processors.languages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
# An empty DATABASE_URL means unset, as for REDIS_URL.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the Celery worker writes; IMMEDIATE transactions
    # take the write lock up front, so concurrent writers wait instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too (not shared-cache memory), so concurrent-writer tests wait on the
    # lock as the real thing does instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    # psycopg's connection pool (Django 5.1+): under ASGI every request runs in a new
    # context, so persistent connections (CONN_MAX_AGE) would pile up until PostgreSQL
    # refuses clients; the pool bounds them per process and replaces broken ones after a
    # database restart.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Options from the URL (?sslmode=require&sslrootcert=...) are kept: the pool is added to
    # them, and the intake's own connection reads the same OPTIONS (reports/intake.py).
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {
            "min_size": 1,
            "max_size": env.int("DB_POOL_SIZE", default=8),
            "timeout": 5,
        },
    }
    # Behind PgBouncer in transaction mode a session is not ours between transactions: no
    # server-side prepared statements (psycopg prepares a query after 5 runs by default) and
    # no server-side cursors (Django's .iterator() keeps one open across a transaction).
    if env.bool("DB_PGBOUNCER", default=False):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True


if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # No connection waits for a lock more than DB_LOCK_TIMEOUT_MS (3 s: a lock is held for one
    # intake batch, milliseconds); web processes (config/asgi.py, config/wsgi.py: Django's
    # connections and the intake's, reports/intake.py) also give up on any statement after
    # DB_STATEMENT_TIMEOUT_MS (5 s there: ten times the slowest page query), so a report stuck
    # behind a lock is a 503 in seconds. Celery and manage.py keep no statement limit: the
    # hourly fit and the demo seed run long statements on purpose.
    _timeouts = [f"-c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=3000)}"]
    if env.int("DB_STATEMENT_TIMEOUT_MS", default=0) > 0:
        _timeouts.append(f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS')}")
    # Appended to any options DATABASE_URL already carries.
    _options = DATABASES["default"]["OPTIONS"].get("options", "")
    DATABASES["default"]["OPTIONS"]["options"] = " ".join([_options, *_timeouts]).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering must cost a request a fraction of a second:
            # throttles then fail open and status answers come from the database.
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                # JSON, never pickle, for anything read back from Redis (common/cache.py).
                "serializer": "common.cache.JSONSerializer",
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # A task whose whole worker died (SIGKILL, OOM, lost machine) is redelivered after this
    # many seconds (Kombu's default is an hour); it must exceed the longest task, the hourly
    # baseline fit. A pool child dying is redelivered at once (task_reject_on_worker_lost).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
    }
    # Exactly one beat: RedBeat keeps the schedule in Redis and holds a lock there, so a second
    # beat (two hosts both starting one, an overlap during a redeploy) waits for the lock
    # instead of sending every periodic task twice. The holder renews the lock every loop
    # (at most BEAT_MAX_LOOP_INTERVAL s); a holder that died is replaced once the lock
    # expires, 5 loops later: 25 s, well under one detection cycle's worth of delay.
    CELERY_BEAT_SCHEDULER = "config.beat.SingleBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_BEAT_MAX_LOOP_INTERVAL = 5
    CELERY_REDBEAT_LOCK_TIMEOUT = 5 * CELERY_BEAT_MAX_LOOP_INTERVAL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Kombu's filesystem transport: a real broker made of files, shared by the web process,
    # the worker and beat on one machine, so the embedded default needs no server.
    _broker_dir = VAR_DIR / "celery-broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    # A host named, though the transport ignores it: without one kombu warns "No hostname was
    # supplied" on every connection (a newcomer's `make run` screen filled with them).
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी"), ("bn", "বাংলা")]
# Country names in Hindi and Bengali (django-countries ships neither), generated from CLDR by
# bin/country_names_po.py; kept apart from the hand-written catalogue.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "countries"]
# Indian digit grouping (1,14,527) for hi and bn, as the browser's Intl writes them.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Static files live in the apps (web/static/), found by the app directories finder.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production defaults; `manage.py check --deploy` stays clean) ----------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Report bodies are tiny; refuse anything large before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.AnonymousClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Empty string switches a limit off (e.g. for an outside load test from one address).
        "anon": env.str("API_RATE_LIMIT", default="600/min") or None,
        "reports": env.str("REPORT_RATE_LIMIT", default="30/min") or None,
        "reports_network": env.str("REPORT_NETWORK_RATE_LIMIT", default="600/min") or None,
        # Admin login attempts per client: enough for a person mistyping, not for guessing.
        "admin_login": env.str("ADMIN_LOGIN_RATE_LIMIT", default="10/min") or None,
        # A person subscribes a handful of times; more from one address is a script.
        "subscriptions": env.str("SUBSCRIBE_RATE_LIMIT", default="10/hour") or None,
        "subscriptions_network": env.str("SUBSCRIBE_NETWORK_RATE_LIMIT", default="60/hour") or None,
        # Confirmation mails asked per client and per network a day (alerts.services): a
        # person subscribes a handful of services; a tenth mail a day from one address, or a
        # thirtieth from one /24 or /48, is someone mailing others.
        "confirmation_mails": env.str("CONFIRMATION_MAIL_RATE_LIMIT", default="10/day") or None,
        "confirmation_mails_network": (
            env.str("CONFIRMATION_MAIL_NETWORK_RATE_LIMIT", default="30/day") or None
        ),
    },
    # How many proxies sit in front of the app; their X-Forwarded-For entries are trusted.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "opendown API",
    "DESCRIPTION": "Crowd-sourced outage reports, service status and incidents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every answer documented: 400, 404, 415, 429, 503 beside the successes (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_error_answers",
    ],
}

# --- The product's own knobs ----------------------------------------------------------------
# Only a reporter's first report for a service within this window counts (Downdetector's rule).
REPORT_DEDUPE_MINUTES = env.int("REPORT_DEDUPE_MINUTES", default=15)
# Ballot stuffing: however many user agents one address claims, at most this many of its
# reports count per service family in any window the detector tests: the counting promise,
# derived from the detector's crowd (reports/promise.py; detection/checks.py refuses more).
REPORT_MAX_COUNTED_PER_ADDRESS = env.int(
    "REPORT_MAX_COUNTED_PER_ADDRESS", default=counting_promise.CLIENT_MAX
)
# Raw reports (with their comments) are deleted after this many days (reports.retention);
# every count lives on in the roll-up. 30 days: the longest range the pages show.
REPORT_RETENTION_DAYS = env.int("REPORT_RETENTION_DAYS", default=30)


# And a whole network (IPv4 /24, IPv6 /48), however many addresses it rotates through: at most
# this many per service family in any window the detector tests (reports/promise.py), so one
# network alone cannot open an incident.
REPORT_MAX_COUNTED_PER_NETWORK = env.int(
    "REPORT_MAX_COUNTED_PER_NETWORK", default=counting_promise.NETWORK_MAX
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Detection ------------------------------------------------------------------------------
# Days of history each hourly baseline fit reads: hourly roll-up rows (reports.HourlyReportCount)
# plus the last EngineConfig.dispersion_days as minutes; memory is bounded by fitting in chunks.
DETECTION_HISTORY_DAYS = env.int("DETECTION_HISTORY_DAYS", default=42)
# A service gets its own series in a country once it had this many reports there in 28 days.
DETECTION_MIN_COUNTRY_REPORTS = env.int("DETECTION_MIN_COUNTRY_REPORTS", default=200)
# After downtime the detector catches up at most this many minutes (older ones are skipped).
DETECTION_MAX_BACKLOG = env.int("DETECTION_MAX_BACKLOG", default=180)

# --- Intake ----------------------------------------------------------------------------------
# The group-commit ASGI intake for POST /api/v1/reports/ (reports/intake.py), on PostgreSQL.
FAST_INTAKE = env.bool("FAST_INTAKE", default=True)

# --- Status API --------------------------------------------------------------------------
# The service list and detail answers are cached this many seconds (and refreshed after each
# detection cycle); the last known answer is served, marked stale, while the database is down.
# 30 s, not less: every refresh is a recomputation in a web process, and under a storm at 10 s
# they pushed the status reads' p99 from ~15 ms to ~70 ms (make bench-ingest).
STATUS_CACHE_SECONDS = env.int("STATUS_CACHE_SECONDS", default=30)

# --- Alerts ----------------------------------------------------------------------------------
# Absolute links in mails and webhooks (management, unsubscribe, incident pages).
# Unset in production: the site's own first allowed host over HTTPS, so dumps and mails never
# point at a development address.
_OWN_HOST = next(
    (h for h in ALLOWED_HOSTS if h not in ("*", "localhost", "127.0.0.1", "[::1]")), ""
)
SITE_URL = env.str(
    "SITE_URL",
    default=f"https://{_OWN_HOST.lstrip('.')}"
    if _OWN_HOST and not DEBUG
    else "http://127.0.0.1:8000",
)
# Mail: the console in development, SMTP (or any backend) from EMAIL_URL in production,
# e.g. smtp+tls://user:password@smtp.example.org:587.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opendown <alerts@localhost>")
# Seconds one SMTP step may wait (connect, each reply): a mail server that never greets holds
# a Celery worker this long, never forever (mail is sent by tasks, never inside a request).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# A subscription whose deliveries failed this many tries in a row is disabled (with backoff
# 1, 2, 4, 8 minutes between them: a receiver down for half an hour).
ALERTS_MAX_FAILURES = env.int("ALERTS_MAX_FAILURES", default=5)
# Transitions older than this are history being replayed (backfill, catch-up): no alert.
ALERTS_MAX_EVENT_AGE_MINUTES = env.int("ALERTS_MAX_EVENT_AGE_MINUTES", default=60)
# Webhooks to loopback and private addresses are refused in production (they would reach our
# own network); development allows them for the demo's local receiver.
ALERTS_ALLOW_PRIVATE_TARGETS = env.bool("ALERTS_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# The official status poller's URLs come from the catalogue, but their redirects do not: in
# production it reaches only public addresses (the demo serves its recorded pages locally).
OFFICIAL_ALLOW_PRIVATE_TARGETS = env.bool("OFFICIAL_ALLOW_PRIVATE_TARGETS", default=DEBUG)

# --- Open data -------------------------------------------------------------------------------
# Where the daily dumps are written and served from (/data/).
OPENDATA_DIR = env.str("OPENDATA_DIR", default=str(VAR_DIR / "opendata"))
# The figures /methodology/ shows, written by `make eval-detection` / `make eval-outages`.
ACCURACY_FILE = env.str("ACCURACY_FILE", default=str(BASE_DIR / "docs" / "accuracy.json"))

# --- Mentions (social posts saying a service is down; mentions/, docs/mentions.md) -----------
# Bluesky's Jetstream WebSocket. Empty (the default here, so tests and `make run` never reach
# the internet) means off; bin/serve and docker-compose.yml set the public instance.
JETSTREAM_URL = env.str("JETSTREAM_URL", default="")
# A Mastodon server whose public streaming API to read (https://mastodon.example); off if
# empty. Most servers want an access token (any account's, read:statuses scope).
MASTODON_STREAMING_URL = env.str("MASTODON_STREAMING_URL", default="")
MASTODON_ACCESS_TOKEN = env.str("MASTODON_ACCESS_TOKEN", default="")
