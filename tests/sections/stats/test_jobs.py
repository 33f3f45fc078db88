"""/api/stats/jobs/: the matrix of job counts, grouped in the database per job table."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connections

from pandjango.pandadb.jobs import tables_for
from pandjango.pandadb.models import JOB_MODELS
from sections.stats.queries import LIFECYCLE

URL = "/api/stats/jobs/"


def _orm_counts(window: Any, row: str, col: str, **filters: Any) -> Counter[tuple[Any, Any]]:
    counts: Counter[tuple[Any, Any]] = Counter()
    for table in tables_for(window.window):
        rows = JOB_MODELS[table].objects.filter(modificationtime__gte=window.start, modificationtime__lt=window.end, **filters)
        for job in rows.values(row, col):
            counts[(job[row], job[col])] += 1
    return counts


def test_it_defaults_to_clouds_by_jobstatus_and_matches_the_orm(get_json, last_hours) -> None:
    window = last_hours(12)
    body = get_json(URL, **window.params())
    data = body["data"]
    assert (data["row_field"], data["col_field"]) == ("cloud", "jobstatus")
    expected = _orm_counts(window, "cloud", "jobstatus")
    assert data["total"] == sum(expected.values()) > 0
    for i, cloud in enumerate(data["rows"]):
        for j, status in enumerate(data["cols"]):
            assert data["cells"][i][j] == expected.get((cloud, status), 0), (cloud, status)
    assert {k for k, n in expected.items() if n} == {(r, c) for r in data["rows"] for c in data["cols"] if expected.get((r, c))}


def test_its_totals_add_up(get_json) -> None:
    body = get_json(URL, rows="computingsite", cols="prodsourcelabel", limit=1000)
    assert body["meta"]["truncated"] is False
    data = body["data"]
    assert data["row_totals"] == [sum(row) for row in data["cells"]]
    assert data["col_totals"] == [sum(col) for col in zip(*data["cells"], strict=True)]
    assert data["total"] == sum(data["row_totals"]) == sum(data["col_totals"])


def test_it_orders_jobstatus_by_the_lifecycle_and_other_values_by_total(get_json) -> None:
    data = get_json(URL, rows="jobstatus", cols="cloud", days=2)["data"]
    assert data["rows"] == [s for s in LIFECYCLE if s in data["rows"]]
    assert data["col_totals"] == sorted(data["col_totals"], reverse=True)


def test_it_keeps_the_largest_rows_and_says_it_truncated(get_json) -> None:
    full = get_json(URL, rows="computingsite", cols="cloud", limit=1000)
    cut = get_json(URL, rows="computingsite", cols="cloud", limit=3)
    assert len(full["data"]["rows"]) > 3
    assert cut["data"]["rows"] == full["data"]["rows"][:3]
    assert cut["data"]["total"] == full["data"]["total"]
    assert cut["meta"]["truncated"] is True and cut["meta"]["count"] == 3
    assert full["meta"]["truncated"] is False
    # The totals still count the rows left out.
    assert cut["data"]["cols"] == full["data"]["cols"][:3]  # the limit holds for the columns too
    assert cut["data"]["col_totals"] == full["data"]["col_totals"][:3]
    assert sum(cut["data"]["row_totals"]) < cut["data"]["total"]


def test_it_applies_the_job_filters(get_json, last_hours) -> None:
    window = last_hours(12)
    data = get_json(URL, rows="computingsite", cols="jobstatus", jobtype="production", **window.params())["data"]
    expected = _orm_counts(window, "computingsite", "jobstatus", prodsourcelabel="managed")
    assert data["total"] == sum(expected.values()) > 0
    wild = get_json(URL, rows="computingsite", cols="jobstatus", computingsite="ANALY_*", **window.params())["data"]
    assert wild["rows"] and all(site.startswith("ANALY_") for site in wild["rows"])


def test_it_gives_task_ids_as_numbers(get_json) -> None:
    data = get_json(URL, rows="jeditaskid", cols="jobstatus")["data"]
    assert data["rows"] and all(isinstance(t, int) for t in data["rows"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rows": "cloud", "cols": "cloud"}, "cols"),
        ({"rows": "jobstatus"}, "cols"),  # cols defaults to jobstatus
        ({"rows": "produserid"}, "rows"),
        ({"cols": "nothing"}, "cols"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"jobtype": "hobby"}, "jobtype"),
    ],
)
def test_it_rejects_bad_rows_cols_and_filters(get_json, params: dict[str, str], field: str) -> None:
    error = get_json(URL, status=400, **params)["error"]
    assert error["code"] == "bad_request" and field in error["fields"], error


def test_it_groups_in_the_database_in_one_statement(anon_client, django_assert_num_queries) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):  # over the job tables the 12 h reach
        assert anon_client.get(URL).status_code == 200
