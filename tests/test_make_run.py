"""`make run` for a newcomer: no spurious warnings from the embedded broker (issue 29)."""

from __future__ import annotations

import logging

from django.conf import settings
from kombu import Connection


def test_the_broker_url_names_a_host_so_kombu_does_not_warn(caplog):
    with caplog.at_level(logging.WARNING):
        Connection(settings.CELERY_BROKER_URL)._info()

    assert "No hostname was supplied" not in caplog.text


def test_the_demo_seed_writes_yesterdays_open_data_dump():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    seed = makefile.split("\nseed:", 1)[1].split("\n\n", 1)[0]

    assert "manage.py dump_open_data" in seed
