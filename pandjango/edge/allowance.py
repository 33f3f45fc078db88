"""The allowances: token buckets shared by all servers (in-process when the shared cache is down), and what a request costs."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from rest_framework.throttling import BaseThrottle

from pandjango.caching.backends import THROTTLE
from pandjango.caching.health import OptionalService

log = logging.getLogger("pandjango.throttling")

T = TypeVar("T")

# Where a process counts while the shared cache fails.
LOCAL_COUNTS = LocMemCache("pandjango-throttle-local", {"OPTIONS": {"MAX_ENTRIES": 10000}})

# Wall-clock time, the same on every server that shares the buckets (tests move it on).
clock = time.time

# The parameters that name the columns an answer is grouped or faceted by; a list's `fields`
# only choose what each row carries.
COLUMN_PARAMS = ("groupby", "fields", "rows", "cols")
LIST_COLUMN_PARAMS = ("groupby", "rows", "cols")


# While the shared counts fail, each process counts on its own (LOCAL_COUNTS).
shared_counts = OptionalService(
    log,
    down=f"rate limiting cannot reach the {THROTTLE!r} cache ({{error}}): counting in this process until it answers",
    back=f"rate limiting reaches the {THROTTLE!r} cache again: counting there",
)


def _with_counts(use: Callable[[BaseCache], T]) -> T:
    return shared_counts.attempt(lambda: use(caches[THROTTLE]), lambda: use(LOCAL_COUNTS))


# ---------------------------------------------------------------------------- allowances


@dataclass(frozen=True)
class Allowance:
    """A token bucket per client: `size` units, refilled evenly over `period` seconds."""

    name: str
    size: float
    period: float

    @property
    def enabled(self) -> bool:
        return self.size > 0 and self.period > 0

    def _key(self, ident: str) -> str:
        return f"{self.name}:{ident}"

    def _level(self, cache: BaseCache, ident: str, now: float) -> float:
        stored = cache.get(self._key(ident))
        if stored is None:
            return self.size
        level, stamp = stored
        return float(min(self.size, level + (now - stamp) * self.size / self.period))

    def wait(self, ident: str, need: float = 1) -> int | None:
        """Seconds until the bucket holds `need` units (at most its size); None when it does now."""
        if not self.enabled:
            return None
        need = min(need, self.size)
        level = _with_counts(lambda cache: self._level(cache, ident, clock()))
        if level >= need:
            return None
        return max(1, math.ceil((need - level) * self.period / self.size))

    def charge(self, ident: str, cost: float) -> None:
        if not self.enabled:
            return

        def spend(cache: BaseCache) -> None:
            now = clock()
            level = self._level(cache, ident, now) - cost
            until_full = (self.size - level) * self.period / self.size
            cache.set(self._key(ident), (level, now), timeout=math.ceil(until_full) + 1)

        _with_counts(spend)

    def clear(self, ident: str) -> None:
        _with_counts(lambda cache: cache.delete(self._key(ident)))


def _limits() -> Mapping[str, Any]:
    limits: Mapping[str, Any] = settings.PANDJANGO["limits"]
    return limits


def requests_per_minute() -> int:
    return int(_limits()["anon_requests_per_minute"])


def anonymous_allowance() -> Allowance:
    return Allowance("anon", requests_per_minute(), 60)


def sign_in_allowances() -> tuple[Allowance, Allowance]:
    limits = _limits()
    period = limits["signin_window_minutes"] * 60
    per_account = Allowance("signin-account", limits["signin_failures_per_account"], period)
    return per_account, Allowance("signin-address", limits["signin_failures_per_address"], period)


def client_address(request: HttpRequest) -> str:
    """The client's address, as DRF's throttles find it (server.num_proxies)."""
    return str(BaseThrottle().get_ident(request))  # type: ignore[arg-type]  # it reads only META


# ---------------------------------------------------------------------------- what a request costs


def _window_days(params: Mapping[str, str], default_hours: int | None) -> float:
    try:
        if "days" in params:
            return float(int(params["days"]))
        if "hours" in params:
            return int(params["hours"]) / 24
        if "date_from" in params and "date_to" in params:
            start, end = parse_datetime(params["date_from"]), parse_datetime(params["date_to"])
            if start is not None and end is not None:
                return max(end - start, timedelta(0)) / timedelta(days=1)
    except (ValueError, TypeError, OverflowError):
        pass
    return (default_hours or 0) / 24


def _columns(params: Mapping[str, str], names: tuple[str, ...]) -> int:
    return max(1, sum(len([c for c in params[name].split(",") if c.strip()]) for name in names if name in params))


def window_cost(params: Mapping[str, str], default_hours: int | None, is_list: bool = False) -> float:
    limits = _limits()
    days = min(_window_days(params, default_hours), limits["max_window_days"])
    columns = _columns(params, LIST_COLUMN_PARAMS if is_list else COLUMN_PARAMS)
    return float(days * columns * limits["anon_cost_per_window_day"])


def request_cost(
    params: Mapping[str, str], response: HttpResponse, seconds: float, default_hours: int | None, is_list: bool = False
) -> float:
    """What answering a request cost: 1 for an answer from the cache, more for one that was
    computed, by its time, its window and its columns."""
    if response.status_code == 304 or response.get("X-Cache") == "HIT":
        return 1.0
    cost = 1 + seconds * _limits()["anon_cost_per_second"]
    if not 400 <= response.status_code < 500:  # a 4xx was refused before any query
        cost += window_cost(params, default_hours, is_list)
    return float(cost)
