from django.apps import AppConfig


class MentionsConfig(AppConfig):
    name = "mentions"
