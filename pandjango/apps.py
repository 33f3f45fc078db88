import sys

from django.apps import AppConfig


class PandjangoConfig(AppConfig):
    name = "pandjango"
    verbose_name = "Pandjango"

    def ready(self) -> None:
        from pandjango import caching
        from pandjango.config import ConfigError

        try:
            caching.check_config()
        except ConfigError as exc:
            # One line naming the key and the file, as the config loader says it.
            sys.stderr.write(f"pandjango: configuration error: {exc}\n")
            raise SystemExit(2) from None
