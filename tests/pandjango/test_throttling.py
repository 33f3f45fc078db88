"""Rate limiting of anonymous API clients: limits.anon_requests_per_minute per client address,
a 429 JSON error with Retry-After past it; signed-in users and token clients are not limited;
behind reverse proxies the client is found in X-Forwarded-For (server.num_proxies); a failing
memcached never fails a request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from pandjango import throttling
from pandjango.cachebackends import caches_from_config
from pandjango.config import BASE_DIR
from tests.memcached import Memcached

PATH = "/api/sites/clouds/"


@pytest.fixture
def three_a_minute(pandjango_config: Callable[[str, Any], None]) -> Iterator[None]:
    pandjango_config("limits.anon_requests_per_minute", 3)
    throttling.LOCAL_COUNTS.clear()
    throttling.shared_counts.reset()
    yield
    throttling.LOCAL_COUNTS.clear()
    throttling.shared_counts.reset()


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


def test_the_rate_and_the_proxies_come_from_the_config(settings: Any) -> None:
    assert settings.PANDJANGO["limits"]["anon_requests_per_minute"] == 600
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.PANDJANGO["server"]["num_proxies"] == 0
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["pandjango.throttling.AnonymousRateThrottle"]


@pytest.fixture
def throttle_on_memcached(settings: Any, memcached: Memcached) -> Iterator[Memcached]:
    if memcached.process is None:
        memcached.start()
    memcached.flush()
    settings.CACHES = {
        **settings.CACHES,
        throttling.THROTTLE: {
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
    assert built[throttling.THROTTLE]["KEY_PREFIX"] == "pandjango.throttle"
    assert built[throttling.THROTTLE]["OPTIONS"]["ignore_exc"] is False
    local = caches_from_config({"backend": "memory"}, BASE_DIR)
    assert local[throttling.THROTTLE]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_production_example_counts_clients_behind_one_proxy() -> None:
    from pandjango import config

    cfg = config.load(config.SHARE_DIR / "config" / "pandjango.example-production.toml")
    assert cfg["server"]["num_proxies"] == 1 and cfg["limits"]["anon_requests_per_minute"] == 600
