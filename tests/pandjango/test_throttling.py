"""Rate limiting of anonymous clients: an allowance of limits.anon_requests_per_minute per
client address, spent by what each request costs (an answer from the cache 1, a computed one
more, by its time, window and columns), a 429 JSON error with Retry-After past it, for the API
and /legacy/ alike; signed-in users and token clients are not limited; behind reverse proxies
the client is found in X-Forwarded-For (server.num_proxies); a failing memcached never fails a
request. Failed sign-ins are limited per account and per address."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from rest_framework.authtoken.models import Token

from pandjango.caching import backends
from pandjango.caching.backends import caches_from_config
from pandjango.config import BASE_DIR
from pandjango.edge import allowance
from tests.memcached import Memcached
from tests.pandjango.test_legacy import legacy, old_monitor  # noqa: F401 (fixtures: the proxy pointed at a stand-in old monitor)

PATH = "/api/sites/clouds/"


@pytest.fixture
def three_a_minute(pandjango_config: Callable[[str, Any], None]) -> Iterator[None]:
    """An allowance of 3 requests a minute, each costing 1 whatever it asks."""
    pandjango_config("limits.anon_requests_per_minute", 3)
    pandjango_config("limits.anon_cost_per_second", 0)
    pandjango_config("limits.anon_cost_per_window_day", 0)
    allowance.LOCAL_COUNTS.clear()
    allowance.shared_counts.reset()
    yield
    allowance.LOCAL_COUNTS.clear()
    allowance.shared_counts.reset()


@pytest.fixture
def num_proxies(settings: Any) -> Callable[[int], None]:
    """Sets DRF's NUM_PROXIES (server.num_proxies) for one test; DRF reloads its settings."""

    def set_to(value: int) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": value}

    return set_to


def statuses(client: Client, n: int, **headers: str) -> list[int]:
    return [client.get(PATH, headers=headers).status_code for _ in range(n)]


@pytest.mark.usefixtures("three_a_minute")
def test_an_anonymous_client_past_its_rate_gets_429_json_with_retry_after(anon_client: Client) -> None:
    assert statuses(anon_client, 3) == [200, 200, 200]
    response = anon_client.get(PATH)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert 1 <= int(response["Retry-After"]) <= 61
    error = orjson.loads(response.content)["error"]
    assert (error["status"], error["code"]) == (429, "rate_limited")
    assert "throttled" in error["message"].lower()


@pytest.mark.usefixtures("three_a_minute")
def test_each_client_address_has_its_own_count(anon_client: Client) -> None:
    assert statuses(anon_client, 4) == [200, 200, 200, 429]
    assert anon_client.get(PATH, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.usefixtures("three_a_minute")
def test_staff_and_signed_in_users_are_not_limited(staff_client: Client, beta_client: Client) -> None:
    assert statuses(staff_client, 5) == [200] * 5
    assert statuses(beta_client, 5) == [200] * 5


@pytest.mark.usefixtures("three_a_minute")
def test_token_clients_are_not_limited(beta_user: User) -> None:
    token = Token.objects.create(user=beta_user)
    assert statuses(Client(), 5, Authorization=f"Token {token.key}") == [200] * 5


@pytest.mark.usefixtures("three_a_minute")
def test_zero_turns_rate_limiting_off(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.anon_requests_per_minute", 0)
    assert statuses(anon_client, 5) == [200] * 5


@pytest.mark.usefixtures("three_a_minute")
def test_without_proxies_x_forwarded_for_is_ignored_so_a_client_cannot_dodge_the_limit(anon_client: Client) -> None:
    answers = [anon_client.get(PATH, headers={"X-Forwarded-For": f"10.9.9.{i}"}).status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]


@pytest.mark.usefixtures("three_a_minute")
def test_behind_one_proxy_the_client_is_the_last_address_of_x_forwarded_for(anon_client: Client, num_proxies: Callable[[int], None]) -> None:
    num_proxies(1)
    # What a client puts first is its own business; the proxy appends the address it saw.
    first = [anon_client.get(PATH, headers={"X-Forwarded-For": f"6.6.6.{i}, 192.0.2.1"}).status_code for i in range(4)]
    assert first == [200, 200, 200, 429]
    assert anon_client.get(PATH, headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 200


# ---------------------------------------------------------------------------- what a request costs

SUMMARY = "/api/production/jobs/summary/"


@pytest.fixture
def sixty_a_minute_by_window(pandjango_config: Callable[[str, Any], None]) -> None:
    """An allowance of 60, where a computed answer costs 1 + its window in days x its columns."""
    pandjango_config("limits.anon_requests_per_minute", 60)
    pandjango_config("limits.anon_cost_per_second", 0)
    pandjango_config("limits.anon_cost_per_window_day", 1)


def answered_until_refused(client: Client, params: Callable[[int], dict[str, str]], at_most: int = 200) -> int:
    for i in range(at_most):
        response = client.get(SUMMARY, params(i))
        if response.status_code == 429:
            return i
        assert response.status_code == 200, response.content[:300]
    return at_most


@pytest.mark.usefixtures("sixty_a_minute_by_window")
def test_a_costly_miss_uses_more_of_the_allowance_than_a_hit(anon_client: Client) -> None:
    # Four days grouped by two columns, a new window each time so that the cache never has it: 1 + 4 x 2.
    misses = answered_until_refused(anon_client, lambda i: {"hours": str(96 - i), "groupby": "jobstatus,computingsite"})
    hits = answered_until_refused(Client(REMOTE_ADDR="10.0.0.9"), lambda i: {"hours": "96", "groupby": "jobstatus,computingsite"})
    # Each is let in while the allowance holds 9; a hit gives back 8 of them.
    assert 5 <= misses <= 7
    assert 50 <= hits <= 56


@pytest.mark.usefixtures("sixty_a_minute_by_window")
def test_a_costly_answer_puts_the_client_in_debt_and_retry_after_says_until_when(anon_client: Client) -> None:
    # 30 days by 5 columns: 151, from an allowance of 60 refilled at one a second.
    params = {"days": "30", "groupby": "jobstatus,computingsite,cloud,prodsourcelabel,produsername"}
    assert anon_client.get(SUMMARY, params).status_code == 200
    response = anon_client.get(SUMMARY)
    assert response.status_code == 429
    assert 85 <= int(response["Retry-After"]) <= 95
    assert orjson.loads(response.content)["error"]["code"] == "rate_limited"


def test_a_computed_answer_costs_its_seconds_window_and_columns_and_a_hit_costs_one() -> None:
    computed, hit = HttpResponse(headers={"X-Cache": "MISS"}), HttpResponse(headers={"X-Cache": "HIT"})
    params = {"days": "30", "fields": "jobstatus,cloud,computingsite"}
    # The defaults: 60 a second, 2 a day of window and column.
    assert allowance.request_cost(params, computed, 2.0, 12) == 1 + 2 * 60 + 30 * 3 * 2
    assert allowance.request_cost({}, computed, 0.5, 12) == 1 + 30 + 0.5 * 1 * 2
    assert allowance.request_cost(params, hit, 2.0, 12) == 1
    # A list's fields choose what each row carries: only its window counts.
    assert allowance.request_cost(params, computed, 0.0, 12, is_list=True) == 1 + 30 * 1 * 2
    refused = HttpResponse(status=400)
    assert allowance.request_cost(params, refused, 0.0, 12) == 1


# ---------------------------------------------------------------------------- /legacy/


@pytest.mark.usefixtures("three_a_minute", "legacy")
def test_the_legacy_proxy_is_throttled_for_anonymous_clients(anon_client: Client) -> None:
    answers = [anon_client.get("/legacy/query?dash=clouds").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = anon_client.get("/legacy/query?dash=clouds", headers={"Accept": "application/json"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert orjson.loads(refused.content)["error"]["code"] == "rate_limited"
    page = anon_client.get("/legacy/query?dash=clouds")
    assert page.status_code == 429 and b"Too many costly requests" in page.content


@pytest.mark.usefixtures("three_a_minute", "legacy")
def test_the_legacy_proxy_is_not_throttled_for_signed_in_users(staff_client: Client) -> None:
    assert [staff_client.get("/legacy/query?dash=clouds").status_code for _ in range(5)] == [200] * 5


# ---------------------------------------------------------------------------- sign-in

SIGN_IN = "/accounts/login/"


@pytest.fixture
def three_failures(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.signin_failures_per_account", 3)
    pandjango_config("limits.signin_failures_per_address", 5)
    pandjango_config("limits.signin_window_minutes", 15)


def sign_in(client: Client, username: str, password: str) -> HttpResponse:
    response: HttpResponse = client.post(SIGN_IN, {"username": username, "password": password})
    return response


def signed_in(client: Client) -> bool:
    return bool(client.get("/api/meta/beta/").status_code == 200)


@pytest.mark.usefixtures("three_failures")
def test_sign_in_failures_for_one_account_end_in_429_and_the_right_password_is_refused_until_the_window_passes(
    staff_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    assert [sign_in(client, "shifter", f"guess{i}").status_code for i in range(3)] == [200, 200, 200]
    refused = sign_in(client, "shifter", "pw")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 5 * 60
    assert b"Too many failed sign-ins" in refused.content
    assert not signed_in(client)
    # From another address the account is still refused: the limit is the account's.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.7"), "shifter", "pw").status_code == 429
    later = allowance.clock() + 15 * 60
    monkeypatch.setattr(allowance, "clock", lambda: later)
    assert sign_in(client, "shifter", "pw").status_code == 302
    assert signed_in(client)


@pytest.mark.usefixtures("three_failures")
def test_sign_in_failures_from_one_address_end_in_429_whatever_the_account(staff_user: User) -> None:
    client = Client()
    assert [sign_in(client, f"nobody{i}", "guess").status_code for i in range(5)] == [200] * 5
    refused = sign_in(client, "shifter", "pw")
    assert refused.status_code == 429 and b"Too many failed sign-ins" in refused.content
    assert not signed_in(client)
    assert sign_in(Client(REMOTE_ADDR="10.0.0.8"), "shifter", "pw").status_code == 302


@pytest.mark.usefixtures("three_failures")
def test_the_admins_sign_in_counts_and_refuses_the_same_way(staff_user: User) -> None:
    client = Client()
    for i in range(3):
        client.post("/admin/login/", {"username": "shifter", "password": f"guess{i}"})
    refused = client.post("/admin/login/", {"username": "shifter", "password": "pw"})
    assert b"Too many failed sign-ins" in refused.content
    assert not signed_in(client)


@pytest.mark.usefixtures("three_failures")
def test_a_successful_sign_in_costs_nothing(staff_user: User) -> None:
    for _ in range(5):
        client = Client()
        assert sign_in(client, "shifter", "pw").status_code == 302


def test_the_rate_and_the_proxies_come_from_the_config(settings: Any) -> None:
    assert settings.PANDJANGO["limits"]["anon_requests_per_minute"] == 600
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.PANDJANGO["server"]["num_proxies"] == 0
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["pandjango.edge.throttling.AnonymousRateThrottle"]


@pytest.fixture
def throttle_on_memcached(settings: Any, memcached: Memcached) -> Iterator[Memcached]:
    if memcached.process is None:
        memcached.start()
    memcached.flush()
    settings.CACHES = {
        **settings.CACHES,
        backends.THROTTLE: {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": [memcached.server],
            "KEY_PREFIX": "pandjango.throttle",
            "OPTIONS": {"connect_timeout": 0.25, "timeout": 0.25, "retry_attempts": 0, "dead_timeout": 0.3, "ignore_exc": False},
        },
    }
    yield memcached
    if memcached.process is None:
        memcached.start()


@pytest.mark.usefixtures("three_a_minute")
def test_the_counts_are_shared_through_memcached(anon_client: Client, throttle_on_memcached: Memcached) -> None:
    assert statuses(anon_client, 4) == [200, 200, 200, 429]
    assert any(key.startswith("pandjango.throttle") for key in _memcached_keys(throttle_on_memcached))


@pytest.mark.usefixtures("three_a_minute")
def test_with_memcached_down_it_counts_in_the_process_and_never_fails_a_request(
    anon_client: Client, throttle_on_memcached: Memcached, caplog: pytest.LogCaptureFixture
) -> None:
    throttle_on_memcached.stop()
    with caplog.at_level(logging.WARNING, logger="pandjango.throttling"):
        assert statuses(anon_client, 4) == [200, 200, 200, 429]
    warnings = [r.getMessage() for r in caplog.records if r.name == "pandjango.throttling"]
    assert len(warnings) == 1 and "counting in this process" in warnings[0]


def _memcached_keys(memcached: Memcached) -> list[str]:
    client = memcached.client()
    try:
        keys = []
        for line in client.raw_command(b"lru_crawler metadump all", b"END").decode().splitlines():
            if line.startswith("key="):
                keys.append(line.split()[0][4:])
        return keys
    finally:
        client.close()


def test_the_counts_live_in_their_own_cache_on_memcached_with_errors_reported() -> None:
    built = caches_from_config({"backend": "memcached", "servers": ["127.0.0.1:1"], "timeout_seconds": 0.5}, BASE_DIR)
    assert built[backends.THROTTLE]["KEY_PREFIX"] == "pandjango.throttle"
    assert built[backends.THROTTLE]["OPTIONS"]["ignore_exc"] is False
    local = caches_from_config({"backend": "memory"}, BASE_DIR)
    assert local[backends.THROTTLE]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_production_example_counts_clients_behind_one_proxy() -> None:
    from pandjango import config

    cfg = config.load(config.SHARE_DIR / "config" / "pandjango.example-production.toml")
    assert cfg["server"]["num_proxies"] == 1 and cfg["limits"]["anon_requests_per_minute"] == 600
    assert (cfg["limits"]["anon_cost_per_second"], cfg["limits"]["anon_cost_per_window_day"]) == (60, 2)
    assert (cfg["limits"]["signin_failures_per_account"], cfg["limits"]["signin_failures_per_address"], cfg["limits"]["signin_window_minutes"]) == (10, 30, 15)
