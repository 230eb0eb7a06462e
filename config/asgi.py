import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

# Imported after Django is set up: the intake reads settings and models.
from reports.intake import StormproofIntake  # noqa: E402

application = StormproofIntake(django_application)
