from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "detection"

    def ready(self) -> None:
        from detection import checks  # noqa: F401  (registers the counting promise's check)
