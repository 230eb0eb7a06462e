# The two commands a newcomer needs are `make run` and `make test`; the rest is for CI and ops.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Local development: debug on, embedded SQLite, filesystem Celery broker (no servers needed).
DEV_ENV := DEBUG=1
# The demo's absolute links, its webhook receiver and recorded status pages live on this server.
DEMO_ENV := SITE_URL=$(or $(SITE_URL),http://$(HOST):$(PORT))
# Tests run with production-like settings (DEBUG off) over plain HTTP.
TEST_ENV := SECRET_KEY=test-only-not-secret SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0

.PHONY: docs bench-smoke
.PHONY: install lock run serve bench-tools bench-ingest bench-faults bench-scaleout bench-abuse bench-isolation test test-browser lint format migrate seed worker bench-detection eval-detection eval-outages check-deploy clean

install: $(STAMP)

# Versions come from the lock file (the Dockerfile uses requirements.lock, its subset); a
# dependency added to pyproject.toml but not yet locked still installs, unpinned, until `make lock`.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the Python packages into $(VENV) (about a minute the first time)..."
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements-dev.lock -e '.[dev]'
	touch $(STAMP)

# Regenerates both lock files from pyproject.toml (pip-tools): the production one the
# Dockerfile installs, and the development one (plus the dev extra) `make install` uses.
LOCK_FLAGS := --quiet --strip-extras --annotation-style=line --no-emit-index-url \
	--no-emit-find-links
lock: export CUSTOM_COMPILE_COMMAND = make lock
lock:
	test -x $(BIN)/pip-compile || $(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_FLAGS) --upgrade -o requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --upgrade --extra dev -c requirements.lock \
		-o requirements-dev.lock pyproject.toml

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	@echo "Seeding the demo: services, weeks of reports, replayed outages (about a minute)..."
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py demo_alerts
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py replay_mentions
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py load_official --recorded
	@echo "Writing yesterday's open-data dump (the /data/ page's files)..."
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py dump_open_data

# Serves the demo on http://$(HOST):$(PORT); a Celery worker with its beat runs alongside and
# stops with it (Ctrl-C).
run: seed
	@echo "Starting Celery worker + beat (filesystem broker) and the web server on http://$(HOST):$(PORT)"
	@$(DEV_ENV) $(DEMO_ENV) $(BIN)/celery -A config worker --beat --pool=solo --loglevel=warning \
		--schedule=var/celerybeat-schedule & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(DEV_ENV) $(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production shape in the foreground on $(HOST):$(PORT): uvicorn with WEB_WORKERS
# processes (the group-commit intake and Django, config/asgi.py), a Celery worker and beat.
# Needs PostgreSQL and Redis (defaults: the local servers). SIGTERM or Ctrl-C stops them all.
serve: install
	@bash bin/serve

worker: install
	$(BIN)/celery -A config worker --beat --loglevel=info

# Static files are collected first: the tests serve pages through the production storage.
test: install
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# Browser tests: Playwright driving Debian's Chromium (apt-get install chromium), no download.
test-browser: install
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest -m browser tests/browser $(PYTEST_ARGS)

# Style, formatting, and the direction of imports between the apps (pyproject.toml's
# [tool.importlinter]: common <- outages <- reports <- detection <- features <- web <- config).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `manage.py check --deploy` with production values (only SECRET_KEY stands in for a real one).
check-deploy: install
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=status.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

# The load benches drive the intake with wrk and front it with the shipped nginx config:
# Debian's packages, installed when missing where that is possible (root with apt-get, as on
# a fresh CI machine); elsewhere the target says what to install.
BENCH_PACKAGES := wrk nginx-light
bench-tools:
	@if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null; \
		else \
			echo "the load benches need wrk and nginx: apt-get install $(BENCH_PACKAGES)"; exit 1; \
		fi; \
	fi

bench-ingest: install bench-tools
	$(BIN)/python bench/ingest.py

bench-faults: install bench-tools
	$(BIN)/python bench/faults.py

# Two app replicas behind nginx, two workers, one beat; one replica and one worker killed
# mid-run. Needs PostgreSQL, Redis, wrk and nginx. Last line: scaleout: N accepted, 0 lost, ...
bench-scaleout: install bench-tools
	$(BIN)/python bench/scaleout.py

# Issue 11's attacks against `make serve` on the loopback (BENCH_PORT, default 8765).
bench-abuse: install
	$(BIN)/python bench/abuse.py

# What the counting promise costs honest people behind one shared IPv4 (CGNAT), measured.
.PHONY: bench-cgnat
bench-cgnat: install
	$(BIN)/python bench/cgnat.py
# Issue 25: an outage while 50 slow webhooks, a mute SMTP server and hostile status pages are
# active, against bin/serve's processes on PostgreSQL + Redis. Last line: isolation: detection
# cycles every <= 60 s, outage found in N min, pages p99 X ms
bench-isolation: install
	$(BIN)/python bench/isolation.py

bench-detection: install
	$(BIN)/python bench/detection.py

eval-detection: install
	$(DEV_ENV) $(BIN)/python bench/eval_detection.py

# The mention rules' speed on a recorded Jetstream sample (one core) and their precision on
# labelled posts. Last line: mentions: N posts/s matched against R rules, X times ...
bench-mentions: install
	$(BIN)/python bench/mentions.py

# Recall, delay and false alarms on simulated report streams (bench.simulate).
eval-outages: install
	$(BIN)/python bench/eval_outages.py

# The documentation site (mkdocs.yml, docs/) into var/site; --strict: a broken link fails.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Every bench-* and eval-* script at a tiny size, failing on any error (CI runs it), so none
# rots between the runs that measure. Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL),
# wrk and nginx; bench-faults restarts the local servers. BENCH_SMOKE picks some by name.
# Last line: bench-smoke: N of N ran
bench-smoke: install bench-tools
	$(BIN)/python bench/smoke.py $(BENCH_SMOKE)

clean:
	rm -rf var $(VENV)
