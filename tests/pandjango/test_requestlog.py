"""The request log (pandjango/edge/requestlog.py): one JSON line per request with what an operator
needs, and unhandled errors logged with their traceback but never shown to the client.

The error tests use this module as the URLconf: the project's URLs plus two views that fail."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from pandjango import urls as project_urls

SECRET = "the-secret-detail-4711"
FIELDS = {"time", "method", "path", "query", "status", "duration_ms", "cache", "db_queries", "db_ms", "user_class"}


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"cannot go on: {SECRET}")


def cached_answer(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"{}", content_type="application/json")
    response["X-Cache"] = "HIT"
    return response


handler404 = project_urls.handler404
handler500 = project_urls.handler500
urlpatterns = [
    path("api/test-failure/", fail),
    path("test-failure/", fail),
    path("api/test-cached/", cached_answer),
    *project_urls.urlpatterns,
]

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def request_lines(caplog: pytest.LogCaptureFixture) -> Iterator[Lines]:
    """The request log's lines so far, decoded (the logger does not propagate to the root)."""
    logger = logging.getLogger("pandjango.request")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield lambda: [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "pandjango.request"]
    logger.removeHandler(caplog.handler)


@pytest.fixture
def test_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


def test_it_logs_one_line_with_every_field_for_an_api_request(anon_client: Client, request_lines: Lines) -> None:
    response = anon_client.get("/api/production/jobs/", {"limit": 1, "hours": 24})
    assert response.status_code == 200
    [line] = request_lines()
    assert set(line) == FIELDS
    assert line["method"] == "GET"
    assert line["path"] == "/api/production/jobs/"
    assert line["query"] == "limit=1&hours=24"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["cache"] == response.get("X-Cache")
    assert line["db_queries"] > 0
    assert 0 <= line["db_ms"] <= line["duration_ms"]
    assert line["user_class"] == "anonymous"
    assert line["time"].endswith("Z")


def test_it_counts_the_same_queries_as_django_does(anon_client: Client, request_lines: Lines) -> None:
    with CaptureQueriesContext(connections["panda"]) as panda, CaptureQueriesContext(connections["default"]) as default:
        anon_client.get("/api/production/jobs/summary/", {"hours": 24})
    [line] = request_lines()
    assert line["db_queries"] == len(panda) + len(default) > 0


def test_it_logs_zero_queries_for_an_answer_that_reads_no_database(anon_client: Client, request_lines: Lines) -> None:
    anon_client.get("/api/no-such-thing/")
    [line] = request_lines()
    assert (line["status"], line["db_queries"], line["db_ms"], line["cache"]) == (404, 0, 0, None)


def test_it_logs_the_cache_status_of_the_answer(anon_client: Client, request_lines: Lines, test_urls: None) -> None:
    anon_client.get("/api/test-cached/")
    [line] = request_lines()
    assert line["cache"] == "HIT"


@pytest.mark.parametrize(("viewer", "user_class"), [("anon_client", "anonymous"), ("beta_client", "beta"), ("staff_client", "staff")])
def test_it_names_the_class_of_viewer(request: pytest.FixtureRequest, request_lines: Lines, viewer: str, user_class: str) -> None:
    client: Client = request.getfixturevalue(viewer)
    client.get("/api/")
    assert [line["user_class"] for line in request_lines()] == [user_class]


def test_a_line_is_one_json_object_with_nothing_around_it(anon_client: Client, request_lines: Lines, caplog: pytest.LogCaptureFixture) -> None:
    anon_client.get("/healthz")
    [record] = [r for r in caplog.records if r.name == "pandjango.request"]
    [configured] = logging.getLogger("pandjango.request").handlers[:1]
    text = configured.format(record)
    assert "\n" not in text
    assert orjson.loads(text)["path"] == "/healthz"


def test_an_api_failure_is_logged_with_its_traceback_and_the_client_sees_none(
    anon_client: Client, request_lines: Lines, caplog: pytest.LogCaptureFixture, test_urls: None
) -> None:
    response = anon_client.get("/api/test-failure/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert orjson.loads(response.content)["error"]["code"] == "server_error"
    assert SECRET not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    [logged] = [r for r in caplog.records if r.exc_info and SECRET in str(r.exc_info[1])]
    assert logged.levelno == logging.ERROR
    assert "Traceback (most recent call last)" in caplog.text and "in fail" in caplog.text
    [line] = request_lines()
    assert (line["status"], line["path"]) == (500, "/api/test-failure/")
    assert [r.levelno for r in caplog.records if r.name == "pandjango.request"] == [logging.ERROR]


def test_a_page_failure_is_logged_with_its_traceback_and_the_client_sees_none(
    request_lines: Lines, caplog: pytest.LogCaptureFixture, test_urls: None
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/test-failure/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert SECRET not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert "Traceback (most recent call last)" in caplog.text and SECRET in caplog.text
    [line] = request_lines()
    assert (line["status"], line["path"]) == (500, "/test-failure/")
