"""`manage.py cache show`: the caching points and their lifetimes.
`manage.py cache warm [PATH ...]`: recompute and store the paths of cache.warm (or those
given), so they are hot before people arrive; for cron. Exits 1 when one of them failed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import Resolver404

from pandjango.caching import answers, points


class Command(BaseCommand):
    help = "Show the caching points (show), or warm the cache with the paths of cache.warm (warm)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="the caching points, their lifetimes and the backend")
        warm = sub.add_parser("warm", help="recompute and store the paths of cache.warm")
        warm.add_argument("paths", nargs="*", help="paths with their query (default: cache.warm)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            self.show()
        else:
            self.warm(options["paths"])

    def show(self) -> None:
        described = points.cache_description()
        where = {"memcached": ", ".join(described.get("servers", [])), "file": described.get("file_dir", "")}.get(described["backend"], "")
        self.stdout.write(f"backend: {described['backend']}" + (f" ({where})" if where else ""))
        self.stdout.write(f"config: {described['config']}")
        self.stdout.write(f"default lifetime: {described['default']} s (cache.default)")
        endpoints = described["endpoints"]
        width = max([len(p["endpoint"]) for p in endpoints] + [8])
        self.stdout.write("")
        self.stdout.write(f"{'endpoint':<{width}}  {'lifetime':>8}  set by           path")
        for p in endpoints:
            lifetime = f"{p['lifetime']} s" if p["lifetime"] else "off"
            self.stdout.write(f"{p['endpoint']:<{width}}  {lifetime:>8}  {p['set_by']:<15}  {p['path']}")
        self.stdout.write("")
        self.stdout.write("warm: " + (", ".join(described["warm"]) or "(nothing: cache.warm is empty)"))

    def warm(self, paths: list[str]) -> None:
        from django.conf import settings

        paths = paths or list(settings.PANDJANGO["cache"]["warm"])
        if not paths:
            self.stdout.write("nothing to warm: cache.warm is empty")
            return
        backend = settings.PANDJANGO["cache"]["backend"]
        if backend in ("memory", "none"):
            self.stderr.write(f"note: the cache backend is {backend}: warming here does not reach the server's processes")
        failed = []
        for path in paths:
            if points.endpoint_view(path) is None:
                self.stderr.write(f"{path}: not the path of an API endpoint")
                failed.append(path)
                continue
            try:
                warmed = answers.warm(path)
            except Resolver404:
                warmed = None
            if warmed is None or warmed.status != 200:
                self.stderr.write(f"{path}: failed ({warmed.status if warmed else 404})")
                failed.append(path)
                continue
            self.stdout.write(f"warmed {path}  {warmed.status} {warmed.cache}  {warmed.size:,} bytes  {warmed.seconds:.3f} s")
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} paths not warmed", returncode=1)
