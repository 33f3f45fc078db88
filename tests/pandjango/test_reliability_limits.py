"""The limits of config [limits] are checked before any query: a request past one is a 400
that names the limit, and no database is asked anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson
import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

LIMITS = "limits.max_window_days", "limits.max_limit", "limits.max_status_ids", "limits.max_query_string", "limits.max_filters"
JOBS = "/api/production/jobs/"
STATUS = "/api/production/jobs/status/"


@contextmanager
def no_queries() -> Iterator[None]:
    """Fails if any database is asked anything inside."""
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in ("default", "panda")]
        yield
    sent = [query["sql"] for capture in captured for query in capture.captured_queries]
    assert sent == [], sent


def refusal(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error: dict[str, Any] = orjson.loads(response.content)["error"]
    assert error["code"] == "bad_request"
    return error


@pytest.fixture
def small_limits(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_window_days", 2)
    pandjango_config("limits.max_limit", 50)
    pandjango_config("limits.max_status_ids", 3)
    pandjango_config("limits.max_query_string", 200)
    pandjango_config("limits.max_filters", 2)


REFUSED = [
    pytest.param(JOBS, {"days": "3"}, "limits.max_window_days", id="days"),
    pytest.param(JOBS, {"hours": "49"}, "limits.max_window_days", id="hours"),
    pytest.param(JOBS, {"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-01-03T00:00:01Z"}, "limits.max_window_days", id="date_from-date_to"),
    pytest.param(JOBS, {"limit": "51"}, "limits.max_limit", id="limit"),
    pytest.param(STATUS, {"pandaid": "1,2,3,4"}, "limits.max_status_ids", id="status-ids"),
    pytest.param(JOBS, {"jobstatus": "failed", "cloud": "CA", "computingsite": "X"}, "limits.max_filters", id="filters"),
]


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize(("path", "params", "limit"), REFUSED)
def test_a_request_past_a_limit_is_a_400_naming_it_before_any_query(anon_client: Client, path: str, params: dict[str, str], limit: str) -> None:
    with no_queries():
        error = refusal(anon_client.get(path, params))
    assert limit in error["message"] or limit in " ".join(error.get("fields", {}).values())


@pytest.mark.usefixtures("small_limits")
def test_the_status_post_takes_at_most_max_status_ids_too(anon_client: Client) -> None:
    with no_queries():
        error = refusal(anon_client.post(STATUS, {"pandaid": [1, 2, 3, 4]}, content_type="application/json"))
    assert "limits.max_status_ids" in error["message"]


@pytest.mark.usefixtures("small_limits")
def test_at_the_limits_the_request_is_answered(anon_client: Client) -> None:
    assert anon_client.get(JOBS, {"days": "2", "limit": "50", "jobstatus": "failed", "cloud": "CA"}).status_code == 200
    assert anon_client.get(STATUS, {"pandaid": "1,2,3"}).status_code == 200


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("path", [JOBS, STATUS, "/production/jobs/", "/legacy/query"])
def test_a_query_string_past_max_query_string_is_a_json_414_on_any_path(anon_client: Client, path: str) -> None:
    with no_queries():
        response = anon_client.get(path, {"jobstatus": "x" * 200})
    assert response.status_code == 414 and response["Content-Type"].startswith("application/json")
    error = orjson.loads(response.content)["error"]
    assert (error["code"], error["status"]) == ("uri_too_long", 414) and "limits.max_query_string" in error["message"]


def test_every_limit_is_in_the_config_with_its_default(settings: Any) -> None:
    limits = settings.PANDJANGO["limits"]
    assert {name.split(".")[1]: limits[name.split(".")[1]] for name in LIMITS} == {
        "max_window_days": 30, "max_limit": 10000, "max_status_ids": 1000, "max_query_string": 16384, "max_filters": 20,
    }


def test_more_parameters_than_django_parses_is_a_json_400(anon_client: Client) -> None:
    with no_queries():
        error = refusal(anon_client.get(JOBS + "?" + "&".join(f"p{i}=1" for i in range(1100))))
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in error["message"]


def test_a_body_larger_than_django_reads_is_a_json_400(anon_client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = orjson.dumps({"pandaid": list(range(1, 500))})
    with no_queries():
        error = refusal(anon_client.post(STATUS, body, content_type="application/json"))
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in error["message"]
