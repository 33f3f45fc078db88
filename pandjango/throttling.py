"""Rate limiting: an allowance per anonymous client, spent by what its requests cost, and an
allowance of failed sign-ins per account and per address.

Anonymous API clients and anonymous /legacy/ readers: a token bucket of
limits.anon_requests_per_minute units per client address, refilled at that rate. A request is
let in when the bucket holds what it costs at least (1 + its window term below, or the whole
bucket), which is taken at once; the rest is charged once it has been answered. What it cost:
1 for an answer from the cache (X-Cache: HIT, or a 304), and for one that was computed
1 + its seconds x limits.anon_cost_per_second + its window in days x its columns (groupby,
fields of facets, rows and cols) x limits.anon_cost_per_window_day. A costly answer can leave the
bucket in debt: the client waits until it has paid it back. Past the allowance the answer is
a 429 with Retry-After. Signed-in users and token clients are not limited; 0 turns it off.

Sign-in (our form and the admin's): every failure costs one of limits.signin_failures_per_account
for the account and one of limits.signin_failures_per_address for the address, refilled over
limits.signin_window_minutes. An account or an address that has none left is refused, right
password or not (SignInAllowanceBackend), until it has one again.

Which address is the client's: REMOTE_ADDR, unless server.num_proxies says how many reverse
proxies stand in front, in which case it is that many entries from the right of
X-Forwarded-For (DRF's NUM_PROXIES; docs/reliability.md). With num_proxies = 0 the header is
ignored, so a client cannot pick its own address.

The buckets live in the "throttle" cache: memcached when that is the backend, so that every
worker and every server counts together. When that cache fails, each process counts on its
own in local memory (a warning says so, once a minute): the limit still holds per worker, and
no request fails because of it. Two requests of one client answered at the same moment on two
workers may both be charged from the same reading (no compare-and-set): the allowance is
exact for one client at a time, a little generous for a client that sends in parallel.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from pandjango.cachebackends import THROTTLE

if TYPE_CHECKING:  # rest_framework.views imports this module, through its settings
    from rest_framework.views import APIView

log = logging.getLogger("pandjango.throttling")

WARN_INTERVAL_SECONDS = 60.0
T = TypeVar("T")

# Where a process counts while the shared cache fails.
LOCAL_COUNTS = LocMemCache("pandjango-throttle-local", {"OPTIONS": {"MAX_ENTRIES": 10000}})

# Wall-clock time, the same on every server that shares the buckets (tests move it on).
clock = time.time

# The parameters that name the columns an answer is grouped or faceted by; a list's `fields`
# only choose what each row carries.
COLUMN_PARAMS = ("groupby", "fields", "rows", "cols")
LIST_COLUMN_PARAMS = ("groupby", "rows", "cols")


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


def _with_counts(use: Callable[[BaseCache], T]) -> T:
    try:
        result = use(caches[THROTTLE])
    except Exception as exc:  # any failure of the shared counts: count here, never fail the request
        shared_counts.failed(exc)
        return use(LOCAL_COUNTS)
    shared_counts.succeeded()
    return result


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


@dataclass
class PendingCharge:
    """An anonymous request let in, to be charged once answered (AllowanceMiddleware)."""

    ident: str
    started: float
    default_hours: int | None
    is_list: bool
    reserved: float


PENDING = "pandjango_pending_charge"


def let_in(request: HttpRequest, ident: str, default_hours: int | None, is_list: bool = False) -> int | None:
    """None, having taken at once what the request costs at least if it is computed (the rest
    is charged once answered); or the seconds to wait until the allowance holds that much.
    Thus a client sending costly requests side by side cannot start more of them than its
    allowance pays for; an answer from the cache gives back what was taken beyond 1."""
    allowance = anonymous_allowance()
    reserved = 1 + window_cost(request.GET, default_hours, is_list)
    retry_after = allowance.wait(ident, reserved)
    if retry_after is None:
        allowance.charge(ident, reserved)
        setattr(request, PENDING, PendingCharge(ident, time.monotonic(), default_hours, is_list, reserved))
    return retry_after


class AnonymousRateThrottle(BaseThrottle):
    """DRF's throttle for the API: lets an anonymous client in while its allowance holds a
    unit; AllowanceMiddleware charges it once the answer is made."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        allowance = anonymous_allowance()
        if not allowance.enabled or (request.user and request.user.is_authenticated):
            return True
        spec = getattr(view, "spec", None)
        default_hours, is_list = getattr(spec, "default_hours", None), bool(getattr(spec, "is_list", False))
        self.retry_after = let_in(request._request, self.get_ident(request), default_hours, is_list)
        return self.retry_after is None

    def wait(self) -> float | None:
        # pandjango.api.exception_handler says int(wait) + 1 in Retry-After.
        return None if self.retry_after is None else float(self.retry_after - 1)


def _legacy_refusal(request: HttpRequest, retry_after: int) -> HttpResponse:
    from pandjango.legacy import LegacyError  # the legacy proxy's modules import much of the project
    from pandjango.legacy_views import failure

    message = f"Too many costly requests from your address; try again in {retry_after} s."
    response = failure(request, LegacyError(429, "rate_limited", message))
    response["Retry-After"] = str(retry_after)
    return response


class AllowanceMiddleware:
    """Charges each anonymous request that a throttle let in, once it is answered; lets an
    anonymous /legacy/ reader in (or not) itself, /legacy/ not being a DRF view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/legacy/") and not request.user.is_authenticated:
            if anonymous_allowance().enabled:
                retry_after = let_in(request, client_address(request), None)
                if retry_after is not None:
                    return _legacy_refusal(request, retry_after)
        response = self.get_response(request)
        pending: PendingCharge | None = getattr(request, PENDING, None)
        if pending is not None:
            seconds = time.monotonic() - pending.started
            cost = request_cost(request.GET, response, seconds, pending.default_hours, pending.is_list)
            anonymous_allowance().charge(pending.ident, cost - pending.reserved)
        return response


# ---------------------------------------------------------------------------- sign-in

REFUSED = "pandjango_sign_in_refused"


def _account(username: object) -> str:
    # Hashed: a user name may hold what a cache key may not (spaces, 250+ bytes).
    return hashlib.blake2b(str(username or "").strip().lower().encode(), digest_size=16).hexdigest()


def sign_in_wait(request: HttpRequest, username: object) -> int | None:
    """Seconds until this account and this address may try a password again; None: now."""
    per_account, per_address = sign_in_allowances()
    waits = [w for w in (per_account.wait(_account(username)), per_address.wait(client_address(request))) if w is not None]
    return max(waits) if waits else None


def sign_in_refused_for(request: HttpRequest | None) -> int | None:
    """Seconds the request's sign-in was refused for (SignInAllowanceBackend), or None."""
    return getattr(request, REFUSED, None)


class SignInAllowanceBackend(ModelBackend):
    """Django's ModelBackend, which first refuses any password, right or wrong, for an account
    or from an address that has no failures left."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> User | None:
        if request is not None:  # None: not a sign-in over HTTP (client.login in tests, a shell)
            wait = sign_in_wait(request, username)
            if wait is not None:
                setattr(request, REFUSED, wait)
                raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="pandjango.throttling.sign_in_failed")
def sign_in_failed(sender: object, credentials: Mapping[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is None or sign_in_refused_for(request) is not None:
        return  # refused without a try: nothing more to charge
    per_account, per_address = sign_in_allowances()
    per_account.charge(_account(credentials.get("username")), 1)
    per_address.charge(client_address(request), 1)


def sign_in_refusal_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    when = f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds >= 60 else f"{seconds} seconds"
    return f"Too many failed sign-ins for this account or from your address. Try again in {when}."
