from django.apps import AppConfig


class PandjangoConfig(AppConfig):
    name = "pandjango"
    verbose_name = "Pandjango"
