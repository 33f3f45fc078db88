"""Per-endpoint caching of the API's answers: one mechanism, at the view level, for every
endpoint. `SectionView.answer` calls `cached_answer` after the section check and the
parameter validation, so bad input never touches the cache.

- Caching points and lifetimes come from the config file: `cache.default`, and
  `cache.lifetimes` per endpoint name ("production.jobs" = 120); 0 turns caching off.
- The key (`response_cache_key`) is the endpoint name, its path parameters, the normalised
  query parameters (order-independent, defaults applied) and the viewer's visibility class.
- The value is the response bytes as they went out (with their generated_at), after a
  one-line header (ETag, creation time, encoding); compressed when over memcached's item size.
- Stampede protection: a lock key taken with cache.add. The request that takes it
  recomputes; the others get the previous value, or wait for the new one.
- The cache is optional: when it fails, the request is answered uncached (X-Cache: BYPASS),
  a warning is logged once per interval, and caching resumes by itself when it is back.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.response import SimpleTemplateResponse
from django.urls import Resolver404, get_resolver, resolve
from django.utils.http import parse_etags

from pandjango import api
from pandjango.cachebackends import RESPONSES, ReadableFileCache
from pandjango.config import ConfigError
from pandjango.sections import ANONYMOUS, visibility_class

log = logging.getLogger("pandjango.caching")

HIT, MISS, BYPASS = "HIT", "MISS", "BYPASS"

# Set in the WSGI environ by `manage.py cache warm`: recompute and store. A client cannot set
# it (a header only ever reaches the environ as HTTP_*).
REFRESH_ENVIRON = "pandjango.cache_refresh"

# memcached refuses keys over 250 bytes; this leaves room for the key prefix, the version
# and the "lock:" of the lock key. Other backends take longer keys, so file names stay readable.
MEMCACHED_KEY_BUDGET = 200
OTHER_KEY_BUDGET = 2000
# memcached's default item size is 1 MiB, key and item header included.
MEMCACHED_MAX_VALUE = 1_000_000
COMPRESS_LEVEL = 1
# An entry stays in the cache this long past its lifetime, to be served while one request
# recomputes it; it is never served stale otherwise.
STALE_SECONDS = 300
# How long a request waits for another one computing the same cold entry.
LOCK_WAIT_SECONDS = 10.0
WARN_INTERVAL_SECONDS = 60.0

ENTRY_FORMAT = 1

T = TypeVar("T")


# ---------------------------------------------------------------------------- caching points


# Endpoints that are not SectionViews but cache their answers here too (the BigPanDA-compatible
# paths): name -> path, registered by the app that serves them.
OTHER_ENDPOINTS: dict[str, str] = {}


def register_endpoint(name: str, path: str) -> None:
    OTHER_ENDPOINTS[name] = path


def lifetime_for(endpoint: str) -> int:
    cache = settings.PANDJANGO["cache"]
    return int(cache["lifetimes"].get(endpoint, cache["default"]))


def caching_points() -> list[dict[str, Any]]:
    """Every endpoint with its lifetime and where the lifetime comes from."""
    from pandjango.endpoints import ENDPOINTS  # the endpoint registry imports this module

    lifetimes = settings.PANDJANGO["cache"]["lifetimes"]
    paths = {name: view.path_template for name, view in ENDPOINTS.items()} | OTHER_ENDPOINTS
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
    """The SectionView class that answers `path` (a query string is ignored), or None."""
    from pandjango.endpoints import SectionView

    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "view_class", None)
    if isinstance(view_class, type) and issubclass(view_class, SectionView) and view_class.endpoint:
        return view_class
    return None


def check_config() -> None:
    """The start-up check of [cache] that needs the URLconf: every name under
    cache.lifetimes is an endpoint, every cache.warm path an endpoint's path."""
    from pandjango.endpoints import ENDPOINTS

    _ = get_resolver().url_patterns  # imports every section's views: they fill ENDPOINTS
    path = settings.PANDJANGO["_path"]
    cfg = settings.PANDJANGO["cache"]
    for name in cfg["lifetimes"]:
        if name not in ENDPOINTS and name not in OTHER_ENDPOINTS:
            raise ConfigError(f'{path}: cache.lifetimes."{name}" is not an endpoint name (`manage.py cache show` lists them)')
    for url in cfg["warm"]:
        if endpoint_view(url) is None:
            raise ConfigError(f"{path}: cache.warm: {url} is not the path of an API endpoint")


# ---------------------------------------------------------------------------- keys and entries


def _quote(value: str) -> str:
    # Readable, and free of what memcached refuses (spaces, control characters) and of the
    # key's own separators.
    return quote(value, safe=",|!*-_.:+@~")


def _digest(data: bytes, size: int) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def response_cache_key(
    endpoint: str,
    params: Mapping[str, str],
    visibility: str,
    path_params: Mapping[str, Any] | None = None,
    budget: int = MEMCACHED_KEY_BUDGET,
) -> str:
    """`endpoint:visibility:pathparams?query`, the query sorted by name (`fields` last: it is
    long, and a readable file name cut short still shows the rest). Hashed past `budget`."""
    path = "&".join(f"{name}={_quote(str(value))}" for name, value in sorted((path_params or {}).items()))
    names = sorted(params, key=lambda name: (name == "fields", name))
    query = "&".join(f"{name}={_quote(params[name])}" for name in names)
    key = f"{endpoint}:{visibility}:{path}?{query}"
    if len(key) > budget:
        key = f"{endpoint}:{visibility}:#{_digest(key.encode(), 20)}"
    return key


def lock_key(key: str) -> str:
    return "lock:" + key


def etag_of(body: bytes) -> str:
    return f'"{_digest(body, 16)}"'


@dataclass(frozen=True)
class Entry:
    """An answer as it went out: the body and its ETag, and when it was computed."""

    body: bytes
    etag: str
    created: float

    @classmethod
    def of(cls, body: bytes) -> Entry:
        return cls(body, etag_of(body), time.time())

    def age(self) -> float:
        return max(0.0, time.time() - self.created)

    def pack(self, key: str, compressed: bool) -> bytes:
        payload = zlib.compress(self.body, COMPRESS_LEVEL) if compressed else self.body
        header = {
            "format": ENTRY_FORMAT,
            "key": key,
            "etag": self.etag,
            "created": self.created,
            "encoding": "zlib" if compressed else "identity",
            "bytes": len(self.body),
        }
        return orjson.dumps(header) + b"\n" + payload

    @classmethod
    def unpack(cls, raw: Any, key: str) -> Entry | None:
        """The entry stored under `key`, or None for anything else (another format, or
        another key under the same hash)."""
        if not isinstance(raw, bytes):
            return None
        head, _, payload = raw.partition(b"\n")
        try:
            header = orjson.loads(head)
            if header["format"] != ENTRY_FORMAT or header["key"] != key:
                return None
            body = zlib.decompress(payload) if header["encoding"] == "zlib" else payload
            return cls(body, str(header["etag"]), float(header["created"]))
        except (orjson.JSONDecodeError, zlib.error, KeyError, TypeError, ValueError):
            return None


# ---------------------------------------------------------------------------- the store


class CacheHealth:
    """Whether the responses cache answers: a warning when it fails (at most once per
    interval), a line when it is back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._last_warning = float("-inf")

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if self.down_since is None:
                self.down_since = now
            if now - self._last_warning < WARN_INTERVAL_SECONDS:
                return
            self._last_warning = now
        log.warning("response cache unavailable (%s: %s): answering uncached (X-Cache: BYPASS) until it is back", type(exc).__name__, exc)

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            down_since, self.down_since = self.down_since, None
        if down_since is not None:
            log.warning("response cache reachable again after %.0f s: caching resumed", time.monotonic() - down_since)

    def reset(self) -> None:
        with self._lock:
            self.down_since = None
            self._last_warning = float("-inf")


health = CacheHealth()
_too_large_warned: dict[str, float] = {}


class ResponseStore:
    """The responses cache for one request. No call raises: a failure reads as a miss, and
    `failed` tells the request it is being answered uncached."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        memcached = isinstance(cache, BaseMemcachedCache)
        # Only the file cache needs long keys (readable file names); the others keep
        # memcached's budget, so a key behaves the same in the demo as in production.
        self.key_budget = OTHER_KEY_BUDGET if isinstance(cache, ReadableFileCache) else MEMCACHED_KEY_BUDGET
        self.max_value = MEMCACHED_MAX_VALUE if memcached else None
        self.failed = False

    def _call(self, method: Callable[..., T], *args: Any) -> T | None:
        try:
            result = method(*args)
        except Exception as exc:  # any error of an optional cache: answer uncached, never 500
            self.failed = True
            health.failed(exc)
            return None
        health.succeeded()
        return result

    def get(self, key: str) -> Entry | None:
        return Entry.unpack(self._call(self.cache.get, key), key)

    def take_lock(self, key: str) -> bool:
        return bool(self._call(self.cache.add, lock_key(key), b"1", _lock_seconds()))

    def release_lock(self, key: str) -> None:
        self._call(self.cache.delete, lock_key(key))

    def put(self, key: str, entry: Entry, lifetime: int) -> None:
        value = entry.pack(key, compressed=False)
        if self.max_value is not None and len(value) > self.max_value:
            value = entry.pack(key, compressed=True)
            if len(value) > self.max_value:
                _warn_too_large(key, len(entry.body), len(value), self.max_value)
                return
        self._call(self.cache.set, key, value, lifetime + STALE_SECONDS)


def _lock_seconds() -> int:
    # Held at most as long as a query may run (the statement timeout), plus rendering.
    return int(settings.PANDJANGO["limits"]["statement_timeout_ms"] / 1000) + 10


def _warn_too_large(key: str, size: int, compressed: int, limit: int) -> None:
    endpoint = key.split(":", 1)[0]
    now = time.monotonic()
    if now - _too_large_warned.get(endpoint, float("-inf")) < WARN_INTERVAL_SECONDS:
        return
    _too_large_warned[endpoint] = now
    log.warning(
        "not cached: %s is %d bytes, %d compressed, over the %d bytes memcached accepts; "
        "every such request is computed (narrow it with limit or fields)",
        key, size, compressed, limit,
    )


def response_store() -> ResponseStore | None:
    """The responses cache, or None when caching is off (backend "none")."""
    if RESPONSES not in settings.CACHES:
        return None
    cache = caches[RESPONSES]
    if isinstance(cache, DummyCache):
        return None
    return ResponseStore(cache)


# ---------------------------------------------------------------------------- the view level


def refresh_requested(request: HttpRequest) -> bool:
    """`refresh=1` recomputes an answer: staff only."""
    if request.META.get(REFRESH_ENVIRON) == "1":
        return True
    raw = request.GET.get("refresh")
    if raw in (None, "", "0"):
        return False
    if raw != "1":
        raise api.bad_request("refresh must be 1", refresh="must be 1 (staff only)")
    if not request.user.is_staff:
        raise api.ApiError(
            403, "forbidden", "refresh=1 is for staff only: everyone else gets the cached answer", {"refresh": "staff only"}
        )
    return True


def cached_answer(
    request: HttpRequest,
    endpoint: str,
    params: Mapping[str, str],
    path_params: Mapping[str, Any],
    compute: Callable[[], Any],
    render: Callable[[Any], bytes] = api.dumps,
) -> HttpResponse:
    """The answer of a validated request: from the cache, or `compute()` rendered (by
    `render`, orjson unless said) and stored, with X-Cache, Cache-Control, ETag, and 304
    for a matching If-None-Match."""
    refresh = refresh_requested(request)
    visibility = visibility_class(request.user)
    lifetime = lifetime_for(endpoint)
    store = response_store()

    def rendered() -> bytes:
        return render(compute())

    if store is None or lifetime == 0:
        entry, state = Entry.of(rendered()), BYPASS
    else:
        key = response_cache_key(endpoint, params, visibility, path_params, store.key_budget)
        entry, state = _lookup(store, key, lifetime, refresh, rendered)
    return _respond(request, entry, state, lifetime, visibility)


def _lookup(store: ResponseStore, key: str, lifetime: int, refresh: bool, compute: Callable[[], bytes]) -> tuple[Entry, str]:
    if refresh:
        return _recompute(store, key, lifetime, compute)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.005
    while True:
        cached = store.get(key)
        if cached is not None and cached.age() < lifetime:
            return cached, HIT
        if store.failed:
            break
        if store.take_lock(key):
            try:
                return _recompute(store, key, lifetime, compute)
            finally:
                store.release_lock(key)
        if store.failed:
            break
        if cached is not None:
            return cached, HIT  # expired, and another request is recomputing it
        if time.monotonic() >= deadline:
            break  # the other request is slow: compute it here too
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return _recompute(store, key, lifetime, compute)


def _recompute(store: ResponseStore, key: str, lifetime: int, compute: Callable[[], bytes]) -> tuple[Entry, str]:
    entry = Entry.of(compute())
    if not store.failed:
        store.put(key, entry, lifetime)
    return entry, BYPASS if store.failed else MISS


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def _respond(request: HttpRequest, entry: Entry, state: str, lifetime: int, visibility: str) -> HttpResponse:
    response: HttpResponse
    if _etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.body, content_type="application/json")
    response["ETag"] = entry.etag
    response["X-Cache"] = state
    # What a signed-in user sees may hold personal data: no shared cache may keep it.
    response["Cache-Control"] = f"max-age={lifetime}" if visibility == ANONYMOUS else f"private, max-age={lifetime}"
    if state == HIT:
        response["Age"] = str(int(entry.age()))
    return response


# ---------------------------------------------------------------------------- the warmer


@dataclass(frozen=True)
class Warmed:
    path: str
    status: int
    cache: str
    size: int
    seconds: float


def warm(path: str) -> Warmed:
    """Requests `path` (with its query) as an anonymous viewer, recomputing and storing its
    answer, as `manage.py cache warm` does for each path of cache.warm."""
    from django.test import RequestFactory  # only the command needs it, not the server

    match = resolve(urlsplit(path).path)
    request = RequestFactory().get(path)
    request.META[REFRESH_ENVIRON] = "1"
    request.user = AnonymousUser()
    started = time.perf_counter()
    response = match.func(request, *match.args, **match.kwargs)
    if isinstance(response, SimpleTemplateResponse):
        response.render()
    seconds = time.perf_counter() - started
    return Warmed(path, response.status_code, response.get("X-Cache", "-"), len(response.content), seconds)
