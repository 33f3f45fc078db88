"""memcached and the old monitor both down at once, the database up: the data is still served
(uncached), the pages still load, the legacy pages say the old monitor is unreachable, and
/healthz says "degraded" without taking the server out of service."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from django.test import Client

from pandjango.edge import allowance
from pandjango.endpoints.base import ENDPOINTS, SectionView
from tests.memcached import Memcached, free_port

SAMPLE_PARAMS = {"meta.search": "q=ANALY", "production.status": "pandaid=1,2", "stats.timeseries": "metric=jobs_finished"}
# Endpoints answering 404 for the made-up ids below.
SAMPLE_PATH_VALUES = {"int": "1", "str": "NO_SUCH_QUEUE"}


def _path(endpoint: type[SectionView]) -> str:
    path = re.sub(r"<(\w+)>", lambda m: SAMPLE_PATH_VALUES[endpoint.path_params[m.group(1)]], endpoint.path_template)
    query = SAMPLE_PARAMS.get(endpoint.endpoint)
    return f"{path}?{query}" if query else path


@pytest.fixture
def memcached_and_legacy_down(
    memcached_cache: Memcached, settings: Any, pandjango_config: Callable[[str, Any], None]
) -> None:
    """The caches (the rate limit's counts too) on a memcached that is then stopped; the old monitor at a port that refuses
    connections, with a tab."""
    pandjango_config("legacy.base_url", f"http://127.0.0.1:{free_port()}/server/pandamon/")
    pandjango_config("legacy.allowed_prefixes", ["query"])
    pandjango_config("legacy.tabs", {"Clouds": "query?dash=clouds"})
    memcached_cache.stop()


@pytest.mark.usefixtures("memcached_and_legacy_down")
def test_with_memcached_and_the_old_monitor_down_every_endpoint_still_serves_its_data(staff_client: Client) -> None:
    for name, endpoint in sorted(ENDPOINTS.items()):
        response = staff_client.get(_path(endpoint))
        expected = 404 if endpoint.path_params else 200
        assert response.status_code == expected, (name, response.status_code, response.content[:200])
        assert response["X-Cache"] == "BYPASS" if expected == 200 else True
    body = orjson.loads(staff_client.get("/api/production/jobs/", {"limit": 5}).content)
    assert len(body["data"]) == 5


@pytest.mark.usefixtures("memcached_and_legacy_down")
def test_with_both_down_the_pages_load_and_the_legacy_page_says_what_is_wrong(anon_client: Client) -> None:
    page = anon_client.get("/production/jobs/")
    assert page.status_code == 200 and b"Clouds" in page.content  # the legacy tab is still offered
    legacy = anon_client.get("/legacy/query?dash=clouds")
    assert legacy.status_code == 502
    assert "is down or unreachable (connection refused)" in legacy.content.decode()


@pytest.mark.usefixtures("memcached_and_legacy_down")
def test_with_both_down_healthz_says_degraded_but_stays_in_service(anon_client: Client) -> None:
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["cache"].startswith("unavailable: ")


@pytest.mark.usefixtures("memcached_and_legacy_down")
def test_with_both_down_anonymous_clients_are_still_rate_limited(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    allowance.LOCAL_COUNTS.clear()
    pandjango_config("limits.anon_requests_per_minute", 2)
    # Each request costs 1, however long it took uncached and whatever its window.
    pandjango_config("limits.anon_cost_per_second", 0)
    pandjango_config("limits.anon_cost_per_window_day", 0)
    assert [anon_client.get("/api/sites/clouds/").status_code for _ in range(3)] == [200, 200, 429]
    allowance.LOCAL_COUNTS.clear()
