"""Per-endpoint caching of the API's answers: one mechanism, at the view level, for every
endpoint. A SectionView's `get` calls `cached_answer` after the section check and the
parameter validation, so bad input never touches the cache.

- Caching points and lifetimes come from the config file: `cache.default`, and
  `cache.lifetimes` per endpoint name ("production.jobs" = 120); 0 turns caching off.
- The key (`response_cache_key`) is the endpoint name, its path parameters, the normalised
  query parameters (order-independent, defaults applied) and the viewer's visibility class.
- The value is the response bytes as they went out (with their generated_at), after a
  one-line header (ETag, creation time, encoding); gzipped once, when stored, past
  encoding.GZIP_MIN_BYTES, and sent as those bytes to clients that take gzip (Vary:
  Accept-Encoding; each representation its own ETag).
- Stampede protection: a lock key taken with cache.add. The request that takes it
  recomputes; the others get the previous value, or wait for the new one.
- The cache is optional: when it fails, the request is answered uncached (X-Cache: BYPASS),
  a warning is logged once per interval, and caching resumes by itself when it is back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.urls import resolve
from django.utils.cache import get_conditional_response, patch_vary_headers

from pandjango.api import csvformat, errors, output
from pandjango.caching import encoding
from pandjango.caching.store import LOCK_WAIT_SECONDS, REFRESH_ENVIRON, Entry, ResponseStore, response_cache_key, response_store
from pandjango.sections import ANONYMOUS, visibility_class

HIT, MISS, BYPASS = "HIT", "MISS", "BYPASS"
_ETAG_PRECONDITIONS = frozenset({"HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH"})


def lifetime_for(endpoint: str) -> int:
    cache = settings.PANDJANGO["cache"]
    return int(cache["lifetimes"].get(endpoint, cache["default"]))


# ---------------------------------------------------------------------------- the view level


def refresh_requested(request: HttpRequest) -> bool:
    """`refresh=1` recomputes an answer: staff only."""
    if request.META.get(REFRESH_ENVIRON) == "1":
        return True
    raw = request.GET.get("refresh")
    if raw in (None, "", "0"):
        return False
    if raw != "1":
        raise errors.bad_request("refresh must be 1", refresh="must be 1 (staff only)")
    if not request.user.is_staff:
        raise errors.ApiError(
            403, "forbidden", "refresh=1 is for staff only: everyone else gets the cached answer", {"refresh": "staff only"}
        )
    return True


def cached_answer(
    request: HttpRequest,
    endpoint: str,
    params: Mapping[str, str],
    path_params: Mapping[str, Any],
    compute: Callable[[], Any],
    render: Callable[[Any], bytes] = output.dumps,
) -> HttpResponse:
    """The answer of a validated request: from the cache, or `compute()` rendered (by
    `render`, orjson unless said, CSV when asked: `wants_csv`) and stored, with X-Cache,
    Cache-Control, ETag, and 304 for a matching If-None-Match."""
    refresh = refresh_requested(request)
    as_csv = render is output.dumps and wants_csv(request)
    if as_csv:
        # Its own entry: a CSV answer and a JSON answer never share one.
        params, render = {**params, "format": "csv"}, csvformat.render_answer
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
    response = _respond(request, entry, state, lifetime, visibility)
    if as_csv:
        response["Content-Type"] = f"{csvformat.MEDIA_TYPE}; charset=utf-8"
        response["Content-Disposition"] = f'attachment; filename="{csvformat.filename(endpoint)}"'
    return response


def wants_csv(request: HttpRequest) -> bool:
    """DRF chose the CSV renderer (`?format=csv`, or Accept: text/csv)."""
    return getattr(getattr(request, "accepted_renderer", None), "format", None) == csvformat.CsvRenderer.format


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
                # The request that held the lock may have stored the entry and let go of the
                # lock between our reading and our taking it: read once more.
                stored = store.get(key)
                if stored is not None and stored.age() < lifetime:
                    return stored, HIT
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
    entry = Entry.of(compute(), compress=store.compresses)
    if not store.failed:
        store.put(key, entry, lifetime)
    return entry, BYPASS if store.failed else MISS


def _respond(request: HttpRequest, entry: Entry, state: str, lifetime: int, visibility: str) -> HttpResponse:
    response = HttpResponse(content_type="application/json")
    # A stored gzip goes as it is to a client that takes gzip: no compression per request.
    gzipped = entry.gzipped is not None and encoding.accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    etag = encoding.gzip_etag(entry.etag) if gzipped else entry.etag
    response["ETag"] = etag
    # What a signed-in user sees may hold personal data: no shared cache may keep it.
    response["Cache-Control"] = f"max-age={lifetime}" if visibility == ANONYMOUS else f"private, max-age={lifetime}"
    # Added to the Vary of the middleware (Cookie) and DRF (Accept), also on a 304.
    patch_vary_headers(response, ("Accept-Encoding",))
    # RFC 9110's preconditions: a 304 (with the ETag, Cache-Control and Vary) for a matching
    # If-None-Match (or a 412 for a failed If-Match), before any body is decompressed; the
    # response itself when no precondition applies. Without an ETag precondition (no
    # Last-Modified is given, so the date ones never apply) nothing is parsed.
    conditional = None
    if _ETAG_PRECONDITIONS & request.META.keys():
        conditional = get_conditional_response(request, etag=etag, response=response)
    if conditional is not None and conditional is not response:
        response = conditional
    elif gzipped:
        response.content = entry.gzipped
        response["Content-Encoding"] = encoding.GZIP
    else:
        response.content = entry.body
    response["X-Cache"] = state
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
