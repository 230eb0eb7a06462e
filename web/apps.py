from django.apps import AppConfig


class WebConfig(AppConfig):
    """Pages, the read API, feeds, badges and their caches; no models."""

    name = "web"

    def ready(self) -> None:
        from web import receivers  # noqa: F401  (connects to detection's cycle_finished)
