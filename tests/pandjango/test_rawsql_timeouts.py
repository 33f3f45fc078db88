"""A query that runs past the statement timeout becomes a 503 JSON answer with Retry-After,
whether it came from the raw SQL registry or through Django's cursor (the ORM's path), and
the connection serves the next query.

MariaDB stops it by its session's max_statement_time (set here as the settings set it at
connect time, only tighter); SQLite by the registry's interrupt, from
limits.statement_timeout_ms."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.db import connections
from django.test import Client
from django.urls import path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pandjango.api import errors
from pandjango.rawsql import definition, jobsql, registry, running, template

HEAVY = "stats.heavy_for_tests"


def _heavy_texts() -> dict[str, str]:
    """A cross join of JOBSARCHIVED4 with itself, twice: hours of work on any data."""
    return {
        vendor: "SELECT COUNT(*) AS n FROM {JOBSARCHIVED4} a, {JOBSARCHIVED4} b, {JOBSARCHIVED4} c\n"
        f"WHERE a.modificationtime >= {jobsql.date_bind(vendor, 'date_from')}"
        for vendor in definition.VENDORS
    }


@pytest.fixture
def heavy_query() -> Iterator[str]:
    since = definition.Param("date_from", "datetime", "since", required=True, example=lambda values: timezone.now() - timedelta(days=30))
    registry.register(definition.RawQuery(HEAVY, "stats", "a query that never ends in time", (since,), _heavy_texts(), '[{"n"}]'))
    yield HEAVY
    registry.REGISTRY.pop(HEAVY)


# vendor: how its session's statement timeout is read, set to 50 ms and put back.
SESSION_TIMEOUT = {
    "postgresql": ("SHOW statement_timeout", "SET statement_timeout = 50", "SELECT set_config('statement_timeout', %s, false)"),
    "mysql": ("SELECT @@SESSION.max_statement_time", "SET SESSION max_statement_time = 0.05", "SET SESSION max_statement_time = %s"),
}


@pytest.fixture
def tight_timeout(vendor: str, pandjango_config: Callable[[str, Any], None]) -> Iterator[None]:
    """Statements stop after 50 ms."""
    pandjango_config("limits.statement_timeout_ms", 50)
    if vendor not in SESSION_TIMEOUT:
        yield
        return
    # The session took its timeout from the settings when it connected: tighten it too.
    read, tighten, restore = SESSION_TIMEOUT[vendor]
    with connections["panda"].cursor() as cursor:
        cursor.execute(read)
        (before,) = cursor.fetchone()
        cursor.execute(tighten)
    try:
        yield
    finally:
        with connections["panda"].cursor() as cursor:
            cursor.execute(restore, [before])


def _long_ago() -> dict[str, Any]:
    return {"date_from": timezone.now() - timedelta(days=30)}


class RawProbe(APIView):
    def get(self, request: Request) -> Response:
        return Response(running.run(HEAVY, **_long_ago()))


class CursorProbe(APIView):
    """The heavy SQL through Django's cursor, as any ORM query goes."""

    def get(self, request: Request) -> Response:
        connection = connections["panda"]
        text = registry.render(HEAVY, connection.vendor)
        query = registry.get(HEAVY)
        values = query.prepare(_long_ago())
        with connection.cursor() as cursor, running.statement_time_limit(connection):
            cursor.execute(template.to_pyformat(text), template.binds(query, values, text, connection))
            return Response(cursor.fetchall())


class QuickProbe(APIView):
    def get(self, request: Request) -> Response:
        now = timezone.now()
        return Response(running.run("production.jobs_summary", date_from=now - timedelta(minutes=5), date_to=now, groupby=["jobstatus"]))


urlpatterns = [
    path("api/probe/raw/", RawProbe.as_view()),
    path("api/probe/cursor/", CursorProbe.as_view()),
    path("api/probe/quick/", QuickProbe.as_view()),
]


@pytest.mark.usefixtures("tight_timeout")
def test_a_registered_query_past_the_timeout_is_a_503_with_retry_after(heavy_query: str) -> None:
    started = time.monotonic()
    with pytest.raises(errors.ApiError) as info:
        running.run(heavy_query, **_long_ago())
    assert time.monotonic() - started < 10
    assert info.value.status == 503 and info.value.code == "query_timeout"
    assert info.value.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert "limits.statement_timeout_ms" in info.value.message


@pytest.mark.usefixtures("tight_timeout")
def test_the_connection_serves_the_next_query_after_a_timeout(heavy_query: str) -> None:
    with pytest.raises(errors.ApiError):
        running.run(heavy_query, **_long_ago())
    now = timezone.now()
    # A five-minute window: well inside the 50 ms left to it even on a busy machine.
    assert running.run("production.jobs_summary", date_from=now - timedelta(minutes=5), date_to=now, groupby=["jobstatus"]) is not None


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("tight_timeout", "heavy_query")
@pytest.mark.parametrize("probe", ["raw", "cursor"])
def test_an_endpoint_whose_query_times_out_answers_503_json(probe: str) -> None:
    client = Client()
    response = client.get(f"/api/probe/{probe}/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert orjson.loads(response.content)["error"] == {
        "status": 503,
        "code": "query_timeout",
        "message": "the query ran longer than 0.05 s (limits.statement_timeout_ms) and was stopped; try a shorter window or retry later",
    }
    assert client.get("/api/probe/quick/").status_code == 200  # the worker is free again


def test_a_lost_database_is_a_503_too() -> None:
    from django.db import OperationalError

    error = errors.database_error(OperationalError(2006, "MySQL server has gone away"))
    assert error is not None and (error.status, error.code) == (503, "database_unavailable")
    assert error.headers["Retry-After"]


def test_any_other_database_error_stays_an_error() -> None:
    from django.db import OperationalError, ProgrammingError

    assert errors.database_error(OperationalError(1054, "Unknown column 'x' in 'field list'")) is None
    assert errors.database_error(ProgrammingError("no such table: x")) is None
    assert errors.database_error(ValueError("not a database error")) is None
