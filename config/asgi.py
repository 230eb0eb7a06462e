import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web process: no statement runs longer than this (config/settings.py, "Database").
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "5000")

django_application = get_asgi_application()

# Imported after Django is set up: the fast paths read settings and models.
from django.conf import settings  # noqa: E402

from reports.intake import StormproofIntake  # noqa: E402
from web.cached_reads import CachedStatusReads  # noqa: E402

# Storm paths in front of Django: report intake (group commit) and cached status reads.
application = django_application
if settings.REDIS_URL:
    application = CachedStatusReads(application, settings.REDIS_URL)
application = StormproofIntake(application)
