"""The jobs list (/api/production/jobs/) and one job (/api/production/jobs/<pandaid>/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.api.output import iso
from pandjango.pandadb import errorcodes
from pandjango.pandadb.models import JOB_MODELS, HarvesterRelJobsWorkers, HarvesterWorkers, JobsActive4, JobsArchived4
from sections.production import queries
from tests.api_helpers import assert_matches_schema

from .conftest import FixedWindow

JOBS = "/api/production/jobs/"
MAX = 10000


def job_url(pandaid: int) -> str:
    return f"/api/production/jobs/{pandaid}/"


def pandaids(body: dict[str, Any]) -> set[int]:
    return {row["pandaid"] for row in body["data"]}


# ---------------------------------------------------------------------------- the list


def test_it_answers_with_the_envelope_and_the_default_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(JOBS)
    meta = body["meta"]
    assert meta["limit"] == 100 and meta["count"] == len(body["data"]) == 100 and meta["truncated"] is True
    assert meta["generated_at"].endswith("Z")
    for row in body["data"]:
        assert list(row) == [*queries.JOB_LIST_FIELDS, "table"]
        assert row["table"] in JOB_MODELS


def test_its_default_window_is_the_last_12_hours(get_json: Callable[..., Any]) -> None:
    meta = get_json(JOBS)["meta"]
    assert meta["window"]["from"] < meta["window"]["to"]
    start, end = (parse_datetime(meta["window"][k]) for k in ("from", "to"))
    assert start is not None and end is not None and end - start == timedelta(hours=12)


def test_it_lists_newest_first(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, limit=500)["data"]
    keys = [(r["modificationtime"], r["pandaid"]) for r in rows]
    assert keys == sorted(keys, reverse=True)


def test_it_returns_every_job_of_the_window_from_every_table(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    body = get_json(JOBS, limit=MAX, **w.params)
    expected = {(r["pandaid"], r["table"]) for r in w.jobs()}
    assert {(r["pandaid"], r["table"]) for r in body["data"]} == expected
    assert body["meta"]["truncated"] is False


def test_a_window_includes_its_start_and_excludes_its_end(get_json: Callable[..., Any]) -> None:
    job = JobsArchived4.objects.order_by("-modificationtime").values("pandaid", "modificationtime").first()
    assert job is not None
    at = job["modificationtime"]
    starting_there = get_json(JOBS, limit=MAX, date_from=iso(at), date_to=iso(at + timedelta(minutes=1)))
    ending_there = get_json(JOBS, limit=MAX, date_from=iso(at - timedelta(minutes=1)), date_to=iso(at))
    assert job["pandaid"] in pandaids(starting_there)
    assert job["pandaid"] not in pandaids(ending_there)


def test_days_and_a_bare_date_are_accepted_as_windows(get_json: Callable[..., Any], seed_now: datetime) -> None:
    meta = get_json(JOBS, days=2)["meta"]
    start, end = (parse_datetime(meta["window"][k]) for k in ("from", "to"))
    assert start is not None and end is not None and end - start == timedelta(days=2)
    day = (seed_now - timedelta(days=1)).date().isoformat()
    meta = get_json(JOBS, date_from=day)["meta"]
    assert meta["window"]["from"] == f"{day}T00:00:00Z"


def test_a_window_reaching_past_the_retention_reads_the_archive(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, days=4, table="archive", limit=5)["data"]
    assert len(rows) == 5 and {r["table"] for r in rows} == {"archive"}
    assert get_json(JOBS, hours=12, table="archive")["data"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"hours": "2", "days": "1"}, "hours"),
        ({"hours": "2", "date_from": "2026-01-01"}, "date_from"),
        ({"hours": "0"}, "hours"),
        ({"hours": "-3"}, "hours"),
        ({"hours": "twelve"}, "hours"),
        ({"days": "31"}, "days"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2026-11-02T00:00:00Z", "date_to": "2026-11-01T00:00:00Z"}, "date_from"),
        ({"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-03-01T00:00:00Z"}, "date_from"),
    ],
)
def test_it_rejects_bad_or_combined_window_parameters(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    error = get_json(JOBS, status=400, **params)["error"]
    assert error["status"] == 400 and error["code"] == "bad_request"
    assert field in error["fields"]


def test_it_rejects_an_unknown_parameter(get_json: Callable[..., Any]) -> None:
    error = get_json(JOBS, status=400, jobstate="running")["error"]
    assert error["fields"] == {"jobstate": "unknown parameter"}


def test_it_rejects_a_parameter_given_twice(anon_client: Client) -> None:
    response = anon_client.get(JOBS + "?jobstatus=running&jobstatus=failed")
    assert response.status_code == 400 and response.json()["error"]["fields"]["jobstatus"] == "given more than once"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "10001"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"sort": "produserid"}, "sort"),
        ({"sort": "-nonsense"}, "sort"),
        ({"fields": "pandaid,nonsense"}, "fields"),
        ({"pandaid": "12x"}, "pandaid"),
        ({"jeditaskid": "4*"}, "jeditaskid"),
        ({"jobstatus": "running|"}, "jobstatus"),
        ({"jobstatus": "!"}, "jobstatus"),
        ({"jobtype": "simulation"}, "jobtype"),
        ({"table": "active|nowhere"}, "table"),
    ],
)
def test_it_rejects_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    error = get_json(JOBS, status=400, **params)["error"]
    assert field in error["fields"], error


def test_the_limit_over_the_maximum_names_the_setting(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_limit", 50)
    error = get_json(JOBS, status=400, limit=51)["error"]
    assert "limits.max_limit" in error["message"]
    assert len(get_json(JOBS, limit=50)["data"]) == 50


def test_a_limit_cuts_the_list_and_says_so(get_json: Callable[..., Any]) -> None:
    body = get_json(JOBS, limit=7)
    assert len(body["data"]) == 7 and body["meta"]["truncated"] is True and body["meta"]["limit"] == 7


def test_it_filters_on_any_of_several_values(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(JOBS, limit=MAX, jobstatus="running|failed", **w.params)["data"]
    assert pandaids({"data": rows}) == {r["pandaid"] for r in w.jobs(Q(jobstatus__in=["running", "failed"]))}
    assert {r["jobstatus"] for r in rows} == {"running", "failed"}


def test_it_filters_on_a_negated_value(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(JOBS, limit=MAX, jobstatus="!finished|running", **w.params)["data"]
    assert pandaids({"data": rows}) == {r["pandaid"] for r in w.jobs(~Q(jobstatus__in=["finished", "running"]))}
    assert rows and not {"finished", "running"} & {r["jobstatus"] for r in rows}


def test_it_filters_on_a_wildcard(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(JOBS, limit=MAX, computingsite="ANALY_*", **w.params)["data"]
    assert rows and all(r["computingsite"].startswith("ANALY_") for r in rows)
    assert pandaids({"data": rows}) == {r["pandaid"] for r in w.jobs(Q(computingsite__startswith="ANALY_"))}
    inner = get_json(JOBS, limit=MAX, computingsite="*_MCORE", **w.params)["data"]
    assert inner and all(r["computingsite"].endswith("_MCORE") for r in inner)


def test_it_filters_on_numbers_and_combines_filters_with_and(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24)
    some = w.jobs(Q(jobstatus="finished"))[:2]
    tasks = "|".join(str(r["jeditaskid"]) for r in some)
    rows = get_json(JOBS, limit=MAX, jeditaskid=tasks, jobstatus="finished", **w.params)["data"]
    expected = w.jobs(Q(jeditaskid__in=[r["jeditaskid"] for r in some], jobstatus="finished"))
    assert pandaids({"data": rows}) == {r["pandaid"] for r in expected}


def test_jobtype_stands_for_its_prodsourcelabels(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    rows = get_json(JOBS, limit=MAX, jobtype="analysis", fields="pandaid,prodsourcelabel", **w.params)["data"]
    assert rows and {r["prodsourcelabel"] for r in rows} <= {"user", "panda"}
    assert pandaids({"data": rows}) == {r["pandaid"] for r in w.jobs(Q(prodsourcelabel__in=["user", "panda"]))}
    not_production = get_json(JOBS, limit=MAX, jobtype="!production", fields="pandaid,prodsourcelabel", **w.params)["data"]
    assert not_production and "managed" not in {r["prodsourcelabel"] for r in not_production}


def test_table_restricts_the_tables_read(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, limit=500, table="active|defined")["data"]
    assert rows and {r["table"] for r in rows} == {"active", "defined"}


def test_it_sorts_on_request(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, limit=300, sort="pandaid", fields="pandaid")["data"]
    ids = [r["pandaid"] for r in rows]
    assert ids == sorted(ids)
    rows = get_json(JOBS, limit=300, sort="-currentpriority", fields="pandaid,currentpriority")["data"]
    priorities = [r["currentpriority"] for r in rows]
    assert priorities == sorted(priorities, reverse=True)


def test_fields_chooses_the_columns(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, limit=5, fields="pandaid,jobstatus,nevents")["data"]
    assert [list(r) for r in rows] == [["pandaid", "jobstatus", "nevents", "table"]] * 5


def test_it_returns_unset_dates_as_null(get_json: Callable[..., Any]) -> None:
    rows = get_json(JOBS, limit=MAX, jobstatus="defined|pending|assigned", fields="pandaid,starttime,endtime")["data"]
    assert rows and all(r["starttime"] is None and r["endtime"] is None for r in rows)


def test_it_reads_each_table_of_the_window_once(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(4, connection=connections["panda"]):  # defined, waiting, active, archived
        assert anon_client.get(JOBS, {"limit": 1000}).status_code == 200
    with django_assert_num_queries(5, connection=connections["panda"]):  # and the archive
        assert anon_client.get(JOBS, {"limit": 1000, "days": 4}).status_code == 200


def test_it_hides_the_dn_from_anonymous_users_and_beta_testers(get_json: Callable[..., Any], beta_client: Client) -> None:
    for client in (None, beta_client):
        assert "produserid" not in get_json(JOBS, client=client, limit=5, fields="pandaid,produsername")["data"][0]
        error = get_json(JOBS, status=400, client=client, fields="pandaid,produserid")["error"]
        assert "produserid" in error["message"]


def test_it_shows_the_dn_to_staff(get_json: Callable[..., Any], staff_client: Client) -> None:
    rows = get_json(JOBS, client=staff_client, limit=5, fields="pandaid,produserid")["data"]
    assert all(r["produserid"].startswith("/DC=ch/DC=cern") for r in rows)


def test_a_section_in_beta_is_closed_to_anonymous_users(
    get_json: Callable[..., Any], beta_client: Client, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.production.state", "beta")
    assert get_json(JOBS, status=403)["error"]["code"] == "forbidden"
    assert get_json(JOBS, client=beta_client, limit=1)["data"]


# ---------------------------------------------------------------------------- one job


def test_one_job_has_every_column_its_table_and_its_errors(get_json: Callable[..., Any]) -> None:
    job = JobsActive4.objects.values().first()
    assert job is not None
    data = get_json(job_url(job["pandaid"]))["data"]
    expected_columns = [c for c in queries.JOB_COLUMNS if c != "produserid"]
    assert set(data) == {*expected_columns, "table", "errors", "worker"}
    assert data["table"] == "active" and data["jobstatus"] == job["jobstatus"]
    assert data["computingsite"] == job["computingsite"] and data["errors"] == []


def a_job_with_a_worker() -> tuple[int, HarvesterWorkers]:
    """A job that a job table holds, and the worker that ran it."""
    held = {row["pandaid"] for model in JOB_MODELS.values() for row in model._default_manager.values("pandaid")}
    for link in HarvesterRelJobsWorkers.objects.order_by("pandaid"):
        if link.pandaid in held and HarvesterRelJobsWorkers.objects.filter(pandaid=link.pandaid).count() == 1:
            return link.pandaid, HarvesterWorkers.objects.get(harvesterid=link.harvesterid, workerid=link.workerid)
    pytest.fail("the seeded data has no job with a worker")


def test_one_job_names_the_worker_that_ran_it(get_json: Callable[..., Any]) -> None:
    pandaid, worker = a_job_with_a_worker()
    body = get_json(job_url(pandaid))
    assert body["data"]["worker"] == {
        "harvesterid": worker.harvesterid, "workerid": worker.workerid, "status": worker.status, "batchid": worker.batchid,
    }
    assert_matches_schema(body, "production.job")


def test_one_job_that_no_worker_ran_has_a_null_worker(get_json: Callable[..., Any]) -> None:
    linked = HarvesterRelJobsWorkers.objects.values("pandaid")
    job = JobsActive4.objects.exclude(pandaid__in=linked).values("pandaid").first()
    assert job is not None
    body = get_json(job_url(job["pandaid"]))
    assert body["data"]["worker"] is None
    assert_matches_schema(body, "production.job")


def test_one_job_names_a_worker_harvester_no_longer_holds_by_its_key(get_json: Callable[..., Any], seed_now: datetime) -> None:
    pandaid, worker = a_job_with_a_worker()
    # A second, newer link: the job was handed again, to a worker since purged.
    HarvesterRelJobsWorkers.objects.create(harvesterid="purged_harvester", workerid=5, pandaid=pandaid, lastupdate=seed_now + timedelta(minutes=1))
    body = get_json(job_url(pandaid))
    assert body["data"]["worker"] == {"harvesterid": "purged_harvester", "workerid": 5, "status": None, "batchid": None}
    assert_matches_schema(body, "production.job")


def test_one_job_decodes_its_error_codes(get_json: Callable[..., Any]) -> None:
    row = JobsArchived4.objects.filter(jobstatus="failed").exclude(piloterrorcode=0).values().first()
    assert row is not None
    job: dict[str, Any] = dict(row)
    errors = get_json(job_url(job["pandaid"]))["data"]["errors"]
    code = job["piloterrorcode"]
    assert {
        "component": "pilot", "code": code, "diag": job["piloterrordiag"], "description": errorcodes.CODES["pilot"][code],
    } in errors
    assert len(errors) == sum(1 for code_col, _ in errorcodes.COLUMNS.values() if job[code_col])


def test_one_job_answers_404_in_json_when_no_table_has_it(get_json: Callable[..., Any]) -> None:
    error = get_json(job_url(123), status=404)["error"]
    assert error == {"status": 404, "code": "not_found", "message": "no job with pandaid 123 in any job table"}


def test_one_job_rejects_parameters(get_json: Callable[..., Any]) -> None:
    job = JobsActive4.objects.values("pandaid").first()
    assert job is not None
    assert get_json(job_url(job["pandaid"]), status=400, hours=3)["error"]["fields"] == {"hours": "unknown parameter"}


def test_one_job_shows_the_dn_only_to_staff(get_json: Callable[..., Any], staff_client: Client, beta_client: Client) -> None:
    job = JobsActive4.objects.values("pandaid", "produserid").first()
    assert job is not None
    assert "produserid" not in get_json(job_url(job["pandaid"]))["data"]
    assert "produserid" not in get_json(job_url(job["pandaid"]), client=beta_client)["data"]
    assert get_json(job_url(job["pandaid"]), client=staff_client)["data"]["produserid"] == job["produserid"]


def test_a_path_that_is_not_a_pandaid_is_a_json_404(get_json: Callable[..., Any]) -> None:
    assert get_json("/api/production/jobs/abc/", status=404)["error"]["code"] == "not_found"


def test_the_openapi_document_types_the_job_columns(anon_client: Client) -> None:
    response = anon_client.get("/api/schema/")
    assert response.status_code == 200
    paths = orjson.loads(response.content)["paths"]

    def data_of(path: str) -> Any:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]

    row = data_of(JOBS)["items"]["properties"]
    assert row["pandaid"]["type"] == "integer" and not row["pandaid"].get("nullable")
    assert row["starttime"] == {"type": "string", "format": "date-time", "nullable": True}
    assert row["computingsite"]["type"] == "string" and row["computingsite"]["nullable"] is True
    assert "errors" in data_of("/api/production/jobs/{pandaid}/")["properties"]


def test_a_pandaid_too_big_for_any_table_is_a_404_not_an_error(get_json: Callable[..., Any]) -> None:
    assert get_json(job_url(10**25), status=404)["error"]["code"] == "not_found"


def test_a_number_filter_out_of_range_is_a_400(get_json: Callable[..., Any]) -> None:
    assert "pandaid" in get_json(JOBS, status=400, pandaid=str(10**25))["error"]["fields"]


def test_the_highest_pandaid_a_job_table_holds_is_found_and_one_more_is_not_looked_for(get_json: Callable[..., Any]) -> None:
    job = JobsArchived4.objects.order_by("pandaid").first()
    assert job is not None
    highest = JobsArchived4(**{f.attname: getattr(job, f.attname) for f in JobsArchived4._meta.concrete_fields})
    highest.pandaid = queries.MAX_PANDAID
    highest.save(force_insert=True)
    assert get_json(f"/api/production/jobs/{queries.MAX_PANDAID}/")["data"]["pandaid"] == queries.MAX_PANDAID
    get_json(f"/api/production/jobs/{queries.MAX_PANDAID + 1}/", status=404)
