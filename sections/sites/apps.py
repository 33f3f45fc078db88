from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sections.sites"
    label = "sites"
