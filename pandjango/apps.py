import sys

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PandjangoConfig(AppConfig):
    name = "pandjango"
    verbose_name = "Pandjango"

    def ready(self) -> None:
        # What each section owns and the shared floor serves: its raw queries (sql.py) and
        # its kinds of quick-search hit (search.py), registered when Django imports them.
        autodiscover_modules("sql", "search")


        from pandjango.caching import points
        from pandjango.config import ConfigError
        from pandjango.endpoints.base import bind_endpoints

        # Each API view's section, endpoint name and path, from the URLconf that routes to it.
        bind_endpoints()

        try:
            points.check_config()
        except ConfigError as exc:
            # One line naming the key and the file, as the config loader says it.
            sys.stderr.write(f"pandjango: configuration error: {exc}\n")
            raise SystemExit(2) from None
