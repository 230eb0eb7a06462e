"""The production settings plus the benchmark's reference view: bench/ingest.py starts its
servers with DJANGO_SETTINGS_MODULE=bench.settings, so the application never mounts it."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
