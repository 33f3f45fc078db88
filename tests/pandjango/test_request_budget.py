"""Every request's queries on the PanDA database share one time budget
(limits.request_seconds, pandjango/api/budget.py): past it the request ends with a 503
query_timeout JSON with Retry-After, long before gunicorn would kill the worker, on every
vendor, for the ORM's queries and the raw SQL registry's alike. A cached answer spends nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.db import connections
from django.test import Client
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pandjango.api import budget, errors
from pandjango.pandadb.models import JobsArchived4
from pandjango.rawsql import running
from sections.production.queries import FACET_FIELDS
from tests.pandjango.test_rawsql_timeouts import _long_ago, heavy_query  # noqa: F401 (a fixture)

# Far below anything a test machine makes of the statements here, far above the budgets.
QUICKLY = 5


class HeavyProbe(APIView):
    """One statement of hours through the raw SQL registry, once a fifth of the budget is spent."""

    def get(self, request: Request) -> Response:
        time.sleep(0.01)
        return Response(running.run("stats.heavy_for_tests", **_long_ago()))


class ManyQueriesProbe(APIView):
    """Quick ORM queries, one after another, far more than the budget allows."""

    def get(self, request: Request) -> Response:
        counted = 0
        for _ in range(100_000):
            counted += JobsArchived4.objects.filter(pandaid__lt=0).count()
        return Response({"counted": counted})


urlpatterns = [
    path("api/probe/heavy/", HeavyProbe.as_view()),
    path("api/probe/many/", ManyQueriesProbe.as_view()),
]


def assert_query_timeout(response: Any) -> dict[str, Any]:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    error: dict[str, Any] = orjson.loads(response.content)["error"]
    assert error["code"] == "query_timeout"
    return error


@pytest.fixture
def slow_statements() -> Iterator[list[str]]:
    """Each statement on the PanDA database takes 20 ms more, well within any statement
    timeout; the statements sent are listed."""
    sent: list[str] = []

    def slow(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        time.sleep(0.02)
        sent.append(sql)
        return execute(sql, params, many, context)

    with connections["panda"].execute_wrapper(slow):
        yield sent


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("heavy_query")
def test_a_statement_longer_than_the_budget_is_stopped_at_the_budget(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.request_seconds", 0.05)
    started = time.monotonic()
    error = assert_query_timeout(Client().get("/api/probe/heavy/"))
    assert time.monotonic() - started < QUICKLY
    assert "limits.request_seconds" in error["message"]


@pytest.mark.urls(__name__)
def test_quick_queries_that_together_exceed_the_budget_end_the_request(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.request_seconds", 0.05)
    started = time.monotonic()
    error = assert_query_timeout(Client().get("/api/probe/many/"))
    assert time.monotonic() - started < QUICKLY
    assert error["message"].startswith("the request's queries ran longer than 0.05 s together (limits.request_seconds)")


def test_facets_of_many_fields_spend_one_budget(
    pandjango_config: Callable[[str, Any], None], anon_client: Client, slow_statements: list[str]
) -> None:
    pandjango_config("limits.request_seconds", 0.2)
    started = time.monotonic()
    assert_query_timeout(anon_client.get("/api/production/jobs/facets/", {"fields": ",".join(FACET_FIELDS), "hours": 96}))
    assert time.monotonic() - started < QUICKLY
    # One GROUP BY per field and job table were wanted; the budget let about ten through.
    assert 1 <= len(slow_statements) < len(FACET_FIELDS)


def test_the_same_facets_answer_within_a_budget_that_covers_them(
    pandjango_config: Callable[[str, Any], None], anon_client: Client, slow_statements: list[str]
) -> None:
    pandjango_config("limits.request_seconds", 30)
    response = anon_client.get("/api/production/jobs/facets/", {"fields": ",".join(FACET_FIELDS), "hours": 96})
    assert response.status_code == 200
    assert set(orjson.loads(response.content)["data"]) == set(FACET_FIELDS)
    assert len(slow_statements) >= len(FACET_FIELDS)


def test_a_cached_answer_is_served_with_no_budget_left(pandjango_config: Callable[[str, Any], None], anon_client: Client) -> None:
    url = "/api/production/jobs/summary/?groupby=computingsite"
    first = anon_client.get(url)
    assert first.status_code == 200 and first["X-Cache"] == "MISS"
    pandjango_config("limits.request_seconds", 1e-9)
    again = anon_client.get(url)
    assert again.status_code == 200 and again["X-Cache"] == "HIT"
    assert again.content == first.content
    assert_query_timeout(anon_client.get(url + "&hours=13"))  # not cached: the budget is spent at once


def test_the_connection_keeps_its_statement_timeout_after_a_request_cut_short(
    pandjango_config: Callable[[str, Any], None], anon_client: Client, vendor: str
) -> None:
    pandjango_config("limits.request_seconds", 1e-9)
    assert_query_timeout(anon_client.get("/api/production/jobs/summary/"))
    assert anon_client.get("/api/production/jobs/summary/?hours=2").status_code == 503
    pandjango_config("limits.request_seconds", 20)
    assert anon_client.get("/api/production/jobs/summary/?hours=3").status_code == 200
    if vendor == "postgresql":
        with connections["panda"].cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] in ("20s", "20000ms")  # limits.request_seconds, below the statement timeout


def test_no_budget_is_spent_outside_a_request() -> None:
    assert budget.current() is None
    with budget.query_budget(5) as spending:
        assert budget.current() is spending
        assert 4 < spending.remaining() <= 5
    assert budget.current() is None


def _select_one() -> Any:
    with connections["panda"].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()


def test_a_statement_is_sent_with_half_a_second_of_the_budget_left() -> None:
    with budget.query_budget(30) as spent:
        spent.deadline = time.monotonic() + 0.5
        assert tuple(_select_one()) == (1,)


def test_a_spent_budget_sends_no_statement_and_says_the_cut_is_its_own() -> None:
    with budget.query_budget(30) as spent:
        spent.deadline = time.monotonic() - 0.01
        with pytest.raises(budget.QueryBudgetSpent) as caught:
            _select_one()
        assert spent.cut is True and spent.stopped()
    assert str(caught.value) == "the request's queries used up limits.request_seconds (30 s)"
