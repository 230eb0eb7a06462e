from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo traffic, the replayed real events and `seed_demo`; no models."""

    name = "demo"
