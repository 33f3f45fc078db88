from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "pandjango.rollups"
    label = "rollups"
    verbose_name = "Rollups (pre-aggregated job counts, ours)"
    default_auto_field = "django.db.models.BigAutoField"
