"""Job counts (/api/production/jobs/summary/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from sections.production import queries
from tests.api_helpers import forget_cached_answers

from .conftest import FixedWindow

SUMMARY = "/api/production/jobs/summary/"
JOBS = "/api/production/jobs/"


def as_counter(rows: list[dict[str, Any]], columns: list[str]) -> dict[tuple[Any, ...], int]:
    return {tuple(r[c] for c in columns): r["count"] for r in rows}


def test_it_counts_jobs_by_jobstatus_by_default(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    body = get_json(SUMMARY, **w.params)
    assert all(list(row) == ["jobstatus", "count"] for row in body["data"])
    assert as_counter(body["data"], ["jobstatus"]) == w.count_by(["jobstatus"])
    assert body["meta"]["groupby"] == ["jobstatus"]
    assert body["meta"]["total"] == len(w.jobs()) and body["meta"]["count"] == len(body["data"])


def test_its_counts_come_biggest_first(get_json: Callable[..., Any]) -> None:
    counts = [row["count"] for row in get_json(SUMMARY, groupby="computingsite")["data"]]
    assert counts == sorted(counts, reverse=True)


def test_its_default_window_is_12_hours(get_json: Callable[..., Any]) -> None:
    window = get_json(SUMMARY)["meta"]["window"]
    assert window["from"] < window["to"]
    assert get_json(SUMMARY, hours=12)["meta"]["window"] == window


@pytest.mark.parametrize(
    "columns", [["cloud", "jobstatus"], ["jeditaskid"], ["prodsourcelabel", "produsername", "processingtype"], list(queries.SUMMARY_GROUPS)]
)
def test_it_groups_by_several_columns(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], columns: list[str]) -> None:
    w = window(24)
    rows = get_json(SUMMARY, groupby=",".join(columns), **w.params)["data"]
    assert all(list(row) == [*columns, "count"] for row in rows)
    assert as_counter(rows, columns) == w.count_by(columns)


def test_a_state_counts_as_many_jobs_as_the_list_shows(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(SUMMARY, **w.params)["data"]
    assert len(rows) > 5
    for row in rows:
        listed = get_json(JOBS, jobstatus=row["jobstatus"], limit=10000, fields="pandaid", **w.params)
        assert listed["meta"]["truncated"] is False
        assert row["count"] == len(listed["data"]), row


def test_it_applies_the_job_filters(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24)
    rows = get_json(SUMMARY, groupby="computingsite", computingsite="ANALY_*", jobstatus="!finished|failed", jobtype="analysis", **w.params)["data"]
    expected = w.count_by(
        ["computingsite"],
        Q(computingsite__startswith="ANALY_", prodsourcelabel__in=["user", "panda"]) & ~Q(jobstatus__in=["finished", "failed"]),
    )
    assert rows and as_counter(rows, ["computingsite"]) == expected


def test_table_restricts_the_tables_counted(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(SUMMARY, table="active", **w.params)["data"]
    expected = {key: n for key, n in w.count_by(["jobstatus", "table"]).items() if key[1] == "active"}
    assert as_counter(rows, ["jobstatus"]) == {(status,): n for (status, _), n in expected.items()}


def test_it_counts_the_archive_when_the_window_reaches_it(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24 * 4)
    body = get_json(SUMMARY, table="archive", **w.params)
    archived = {key: n for key, n in w.count_by(["jobstatus", "table"]).items() if key[1] == "archive"}
    assert archived and body["meta"]["total"] == sum(archived.values())


@pytest.mark.parametrize("groupby", ["produserid", "jobstatus,nonsense", "", ",", "modificationtime"])
def test_it_rejects_a_column_it_cannot_group_by(get_json: Callable[..., Any], groupby: str) -> None:
    error = get_json(SUMMARY, status=400, groupby=groupby)["error"]
    assert "groupby" in error["fields"]


@pytest.mark.parametrize("params", [{"limit": "5"}, {"sort": "jobstatus"}, {"jobstate": "running"}, {"hours": "1", "days": "1"}, {"cloud": "US|"}])
def test_it_rejects_parameters_it_does_not_take(get_json: Callable[..., Any], params: dict[str, str]) -> None:
    assert get_json(SUMMARY, status=400, **params)["error"]["code"] == "bad_request"


def test_it_counts_in_the_database_in_one_statement_over_the_job_tables(anon_client: Client, django_assert_num_queries: Any) -> None:
    # The registry's production.jobs_summary (a wildcard filter takes one query per table: test_summary_rawsql.py)
    with django_assert_num_queries(1, connection=connections["panda"]) as captured:
        assert anon_client.get(SUMMARY, {"groupby": "cloud,jobstatus"}).status_code == 200
    assert all("GROUP BY" in q["sql"] for q in captured.captured_queries)
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(SUMMARY, {"days": 4}).status_code == 200


def test_it_never_shows_a_dn(staff_client: Client) -> None:
    response = staff_client.get(SUMMARY, {"groupby": "produsername,jeditaskid"})
    assert response.status_code == 200 and b"/DC=" not in response.content


@pytest.mark.parametrize("computingsite", [None, "*"], ids=["in one statement", "through the ORM"])
def test_a_summary_cut_by_the_row_limit_says_so_and_keeps_the_largest_groups(
    get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None], computingsite: str | None
) -> None:
    params = {"groupby": "computingsite,jobstatus", "hours": 96, **({"computingsite": computingsite} if computingsite else {})}
    whole = get_json(SUMMARY, **params)
    assert whole["meta"]["truncated"] is False and whole["meta"]["count"] > 5
    pandjango_config("limits.max_summary_rows", 5)
    forget_cached_answers()
    cut = get_json(SUMMARY, **params)
    assert cut["meta"]["truncated"] is True
    assert cut["meta"]["limit"] == cut["meta"]["count"] == len(cut["data"]) == 5
    assert [row["count"] for row in cut["data"]] == [row["count"] for row in whole["data"][:5]]


def test_a_summary_within_the_row_limit_is_whole(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    statuses = get_json(SUMMARY, hours=96)["data"]
    pandjango_config("limits.max_summary_rows", len(statuses))
    forget_cached_answers()
    body = get_json(SUMMARY, hours=96)
    assert body["meta"]["truncated"] is False and body["data"] == statuses
