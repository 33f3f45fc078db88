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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from pandjango.edge.allowance import anonymous_allowance, client_address, request_cost, sign_in_allowances, window_cost

if TYPE_CHECKING:  # rest_framework.views imports this module, through its settings
    from rest_framework.views import APIView

log = logging.getLogger("pandjango.throttling")


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
        # pandjango.api.errors.exception_handler says int(wait) + 1 in Retry-After.
        return None if self.retry_after is None else float(self.retry_after - 1)


def _legacy_refusal(request: HttpRequest, retry_after: int) -> HttpResponse:
    from pandjango.legacy.paths import LegacyError
    from pandjango.legacy.views import failure

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


@receiver(user_login_failed, dispatch_uid="pandjango.edge.throttling.sign_in_failed")
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
