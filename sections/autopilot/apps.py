from django.apps import AppConfig


class AutopilotConfig(AppConfig):
    name = "sections.autopilot"
    label = "autopilot"
