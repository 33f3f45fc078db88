"""Rate limiting of anonymous API clients (DRF throttling): at most
limits.anon_requests_per_minute requests per client address in any 60 seconds; 0 turns it off.
Signed-in users and token clients are not limited. Past the limit the answer is a 429 JSON
error with Retry-After (pandjango.api.exception_handler).

Which address is the client's: REMOTE_ADDR, unless server.num_proxies says how many reverse
proxies stand in front, in which case it is that many entries from the right of
X-Forwarded-For (DRF's NUM_PROXIES; docs/reliability.md). With num_proxies = 0 the header is
ignored, so a client cannot pick its own address.

The counts live in the "throttle" cache: memcached when that is the backend, so that every
worker and every server counts together. When that cache fails, each process counts on its
own in local memory (a warning says so, once a minute): the limit still holds per worker, and
no request fails because of it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from pandjango.cachebackends import THROTTLE

if TYPE_CHECKING:  # rest_framework.views imports this module, through its settings
    from rest_framework.views import APIView

log = logging.getLogger("pandjango.throttling")

WARN_INTERVAL_SECONDS = 60.0

# Where a process counts while the shared cache fails.
LOCAL_COUNTS = LocMemCache("pandjango-throttle-local", {"OPTIONS": {"MAX_ENTRIES": 10000}})


class _SharedCounts:
    """Whether the shared counts answer: a warning when they fail (at most once a minute), a
    line when they are back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failing = False
        self._last_warning = float("-inf")

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self.failing = True
            if now - self._last_warning < WARN_INTERVAL_SECONDS:
                return
            self._last_warning = now
        log.warning("rate limiting cannot reach the %r cache (%s: %s): counting in this process until it answers", THROTTLE, type(exc).__name__, exc)

    def succeeded(self) -> None:
        if not self.failing:
            return
        with self._lock:
            self.failing = False
        log.warning("rate limiting reaches the %r cache again: counting there", THROTTLE)

    def reset(self) -> None:
        with self._lock:
            self.failing = False
            self._last_warning = float("-inf")


shared_counts = _SharedCounts()


def requests_per_minute() -> int:
    return int(settings.PANDJANGO["limits"]["anon_requests_per_minute"])


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's AnonRateThrottle with its rate from the config, read at each request, and its
    counts in the "throttle" cache, or in this process while that cache fails."""

    scope = "anon"

    def get_rate(self) -> str | None:
        per_minute = requests_per_minute()
        return f"{per_minute}/min" if per_minute > 0 else None

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        try:
            self.cache: BaseCache = caches[THROTTLE]
            allowed = super().allow_request(request, view)
        except Exception as exc:  # any failure of the shared counts: count here, never fail the request
            shared_counts.failed(exc)
            self.cache = LOCAL_COUNTS
            return bool(super().allow_request(request, view))
        shared_counts.succeeded()
        return bool(allowed)
