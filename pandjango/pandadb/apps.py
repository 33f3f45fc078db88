from django.apps import AppConfig


class PandaDbConfig(AppConfig):
    name = "pandjango.pandadb"
    label = "pandadb"
    verbose_name = "PanDA database (read-only)"
