from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "sections.production"
    label = "production"
