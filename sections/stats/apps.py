from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "sections.stats"
    label = "stats"
