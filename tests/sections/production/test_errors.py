"""Failed jobs summarised (/api/production/errors/)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb import errorcodes
from tests.api_helpers import forget_cached_answers

from .conftest import FixedWindow

ERRORS = "/api/production/errors/"
FAILED = Q(jobstatus="failed")
BREAKDOWNS = {"by_site": "computingsite", "by_user": "produsername", "by_task": "jeditaskid"}


def expected_by_code(jobs: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[int, int]]:
    """(component, code) -> (count, highest pandaid), from job rows."""
    found: dict[tuple[str, int], list[int]] = defaultdict(list)
    for job in jobs:
        for component, (code_column, _) in errorcodes.COLUMNS.items():
            if job[code_column]:
                found[(component, job[code_column])].append(job["pandaid"])
    return {key: (len(ids), max(ids)) for key, ids in found.items()}


def expected_by(jobs: list[dict[str, Any]], column: str) -> dict[Any, tuple[int, int]]:
    found: dict[Any, list[int]] = defaultdict(list)
    for job in jobs:
        found[job[column]].append(job["pandaid"])
    return {key: (len(ids), max(ids)) for key, ids in found.items()}


def test_it_summarises_failed_jobs_by_component_and_code(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    by_code = get_json(ERRORS, **w.params)["data"]["by_code"]
    assert {(e["component"], e["code"]): (e["count"], e["example_pandaid"]) for e in by_code} == expected_by_code(w.jobs(FAILED))
    assert len(by_code) == len({(e["component"], e["code"]) for e in by_code}), "one entry per component and code"
    for entry in by_code:
        assert entry["description"] == errorcodes.describe(entry["component"], entry["code"])
        assert list(entry) == ["component", "code", "description", "count", "example_pandaid"]


@pytest.mark.parametrize("name", list(BREAKDOWNS))
def test_it_summarises_failed_jobs_by_site_user_and_task(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], name: str) -> None:
    w = window(24)
    column = BREAKDOWNS[name]
    rows = get_json(ERRORS, **w.params)["data"][name]
    assert {r[column]: (r["count"], r["example_pandaid"]) for r in rows} == expected_by(w.jobs(FAILED), column)
    assert sum(r["count"] for r in rows) == len(w.jobs(FAILED))


def test_each_list_is_sorted_by_count(get_json: Callable[..., Any]) -> None:
    data = get_json(ERRORS, hours=24)["data"]
    for name, rows in data.items():
        counts = [r["count"] for r in rows]
        assert counts and counts == sorted(counts, reverse=True), name


def test_its_example_is_a_failed_job_with_that_error(get_json: Callable[..., Any]) -> None:
    for entry in get_json(ERRORS, hours=24)["data"]["by_code"][:5]:
        job = get_json(f"/api/production/jobs/{entry['example_pandaid']}/")["data"]
        assert job["jobstatus"] == "failed"
        assert (entry["component"], entry["code"]) in {(e["component"], e["code"]) for e in job["errors"]}


def test_it_counts_only_failed_jobs(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    data = get_json(ERRORS, **w.params)["data"]
    cancelled = w.jobs(Q(jobstatus="cancelled"))
    assert cancelled, "cancelled jobs carry taskbuffer code 100 in the seed"
    failed_taskbuffer_100 = sum(1 for job in w.jobs(FAILED) if job["taskbuffererrorcode"] == 100)
    counts = {(e["component"], e["code"]): e["count"] for e in data["by_code"]}
    assert counts.get(("taskbuffer", 100), 0) == failed_taskbuffer_100


def test_it_applies_the_job_filters(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24)
    data = get_json(ERRORS, computingsite="!ANALY_*", cloud="US|DE|FR", **w.params)["data"]
    jobs = w.jobs(FAILED & ~Q(computingsite__startswith="ANALY_") & Q(cloud__in=["US", "DE", "FR"]))
    assert jobs
    assert {(e["component"], e["code"]): (e["count"], e["example_pandaid"]) for e in data["by_code"]} == expected_by_code(jobs)
    assert {r["computingsite"]: (r["count"], r["example_pandaid"]) for r in data["by_site"]} == expected_by(jobs, "computingsite")


def test_it_reaches_the_archive_with_a_long_window(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24 * 4)
    rows = get_json(ERRORS, table="archive", **w.params)["data"]["by_task"]
    archived = [job for job in w.jobs(FAILED) if job["table"] == "archive"]
    assert archived and sum(r["count"] for r in rows) == len(archived)


def test_tables_without_finished_jobs_give_empty_lists(get_json: Callable[..., Any]) -> None:
    data = get_json(ERRORS, table="active|defined")["data"]
    assert data == {"by_code": [], "by_site": [], "by_user": [], "by_task": []}


def test_its_default_window_is_12_hours(get_json: Callable[..., Any]) -> None:
    assert get_json(ERRORS)["meta"]["window"] == get_json(ERRORS, hours=12)["meta"]["window"]


@pytest.mark.parametrize("params", [{"limit": "10"}, {"groupby": "cloud"}, {"piloterrorcode": "11x"}, {"hours": "1", "date_to": "2026-01-01"}])
def test_it_rejects_bad_parameters(get_json: Callable[..., Any], params: dict[str, str]) -> None:
    assert get_json(ERRORS, status=400, **params)["error"]["code"] == "bad_request"


def test_it_groups_in_the_database_in_a_fixed_number_of_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    # by code, site, user and task: one GROUP BY each over JOBSARCHIVED4 (12 h), and the archive too (4 days)
    with django_assert_num_queries(4, connection=connections["panda"]) as captured:
        assert anon_client.get(ERRORS).status_code == 200
    assert all("GROUP BY" in q["sql"] for q in captured.captured_queries)
    with django_assert_num_queries(4, connection=connections["panda"]):
        assert anon_client.get(ERRORS, {"days": 4}).status_code == 200


def test_it_never_shows_a_dn(staff_client: Client) -> None:
    response = staff_client.get(ERRORS, {"days": 4})
    assert response.status_code == 200 and b"/DC=" not in response.content


@pytest.mark.parametrize("computingsite", [None, "*"], ids=["in one statement each", "through the ORM"])
def test_error_summaries_cut_by_the_row_limit_say_so(
    get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None], computingsite: str | None
) -> None:
    params = {"hours": 96, **({"computingsite": computingsite} if computingsite else {})}
    whole = get_json(ERRORS, **params)
    assert whole["meta"]["truncated"] is False
    assert all(len(rows) > 2 for rows in whole["data"].values())
    pandjango_config("limits.max_summary_rows", 2)
    forget_cached_answers()
    cut = get_json(ERRORS, **params)
    assert cut["meta"]["truncated"] is True and cut["meta"]["limit"] == 2
    for name, rows in cut["data"].items():
        assert len(rows) == 2
        assert [row["count"] for row in rows] == [row["count"] for row in whole["data"][name][:2]]
