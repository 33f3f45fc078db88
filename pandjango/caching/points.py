"""The caching points: every cached endpoint's name, path and lifetime, and the start-up check of [cache]."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, get_resolver, resolve

from pandjango.caching.answers import lifetime_for
from pandjango.caching.backends import RESPONSES
from pandjango.config import ConfigError

# ---------------------------------------------------------------------------- caching points


# Every endpoint whose answers are cached here: name -> path, registered by the view that
# serves it (the API's SectionViews, and the BigPanDA-compatible paths of their app).
CACHED_ENDPOINTS: dict[str, str] = {}
# The names of the API's own endpoints among them, the ones cache.warm may name by path.
API_ENDPOINTS: set[str] = set()


def register_endpoint(name: str, path: str, api: bool = False) -> None:
    CACHED_ENDPOINTS[name] = path
    if api:
        API_ENDPOINTS.add(name)


def caching_points() -> list[dict[str, Any]]:
    """Every endpoint with its lifetime and where the lifetime comes from."""
    lifetimes = settings.PANDJANGO["cache"]["lifetimes"]
    paths = CACHED_ENDPOINTS
    return [
        {
            "endpoint": name,
            "path": path,
            "lifetime": lifetime_for(name),
            "set_by": "cache.lifetimes" if name in lifetimes else "cache.default",
        }
        for name, path in sorted(paths.items())
    ]


def cache_description() -> dict[str, Any]:
    cfg = settings.PANDJANGO["cache"]
    backend = cfg["backend"]
    described: dict[str, Any] = {"backend": backend, "default": cfg["default"]}
    if backend == "memcached":
        described.update(servers=cfg["servers"], timeout_seconds=cfg["timeout_seconds"])
    if backend == "file":
        described["file_dir"] = settings.CACHES[RESPONSES].get("LOCATION", cfg["file_dir"])
    described.update(endpoints=caching_points(), warm=cfg["warm"], config=settings.PANDJANGO["_path"])
    return described


def endpoint_view(path: str) -> type | None:
    """The class of the API endpoint that answers `path` (a query string is ignored), or None."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "view_class", None)
    if isinstance(view_class, type) and getattr(view_class, "endpoint", "") in API_ENDPOINTS:
        return view_class
    return None


def check_config() -> None:
    """The start-up check of [cache] that needs the URLconf: every name under
    cache.lifetimes is an endpoint, every cache.warm path an endpoint's path."""
    _ = get_resolver().url_patterns  # imports every section's views: they register their endpoints
    path = settings.PANDJANGO["_path"]
    cfg = settings.PANDJANGO["cache"]
    for name in cfg["lifetimes"]:
        if name not in CACHED_ENDPOINTS:
            raise ConfigError(f'{path}: cache.lifetimes."{name}" is not an endpoint name (`manage.py cache show` lists them)')
    for url in cfg["warm"]:
        if endpoint_view(url) is None:
            raise ConfigError(f"{path}: cache.warm: {url} is not the path of an API endpoint")
