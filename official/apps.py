from django.apps import AppConfig


class OfficialConfig(AppConfig):
    name = "official"

    def ready(self) -> None:
        from official import extensions  # noqa: F401  (adds `official` to the status API)
