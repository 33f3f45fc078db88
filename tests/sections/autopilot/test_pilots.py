"""Recent pilots (/api/autopilot/pilots/) and one pilot
(/api/autopilot/pilots/<harvesterid>/<workerid>/): Harvester workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.jobs import find_jobs
from pandjango.pandadb.models import JOB_MODELS, HarvesterRelJobsWorkers, HarvesterWorkers
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow, worker_keys

PILOTS = "/api/autopilot/pilots/"
MAX = 10000


def pilot_url(harvesterid: str, workerid: int | str) -> str:
    return f"/api/autopilot/pilots/{harvesterid}/{workerid}/"


def with_jobs() -> Exists:
    return Exists(HarvesterRelJobsWorkers.objects.filter(harvesterid=OuterRef("harvesterid"), workerid=OuterRef("workerid")))


# ---------------------------------------------------------------------------- the list


def test_it_lists_workers_newest_first_with_the_default_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(PILOTS, limit=500)
    rows = body["data"]
    assert len(rows) == body["meta"]["count"] == 500
    order = [(r["lastupdate"], r["harvesterid"], r["workerid"]) for r in rows]
    assert order == sorted(order, reverse=True)
    assert all(list(row) == list(queries.WORKER_LIST_FIELDS) for row in rows)


def test_its_default_window_is_the_last_12_hours_of_lastupdate(get_json: Callable[..., Any]) -> None:
    body = get_json(PILOTS, limit=MAX)
    start, end = (parse_datetime(body["meta"]["window"][k]) for k in ("from", "to"))
    assert start is not None and end is not None and end - start == timedelta(hours=12)
    times = [parse_datetime(row["lastupdate"]) for row in body["data"]]
    assert times and all(t is not None and start - timedelta(seconds=1) <= t <= end for t in times)


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_it_lists_every_worker_whose_lastupdate_is_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    body = get_json(PILOTS, limit=MAX, **fixed.params)
    assert worker_keys(body["data"]) == worker_keys(fixed.workers())
    assert body["meta"]["truncated"] is False


def test_it_returns_unset_dates_as_null(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    rows = get_json(PILOTS, limit=MAX, fields="harvesterid,workerid,endtime,submittime", **fixed.params)["data"]
    unset = worker_keys(fixed.workers(Q(endtime__isnull=True)))
    assert unset, "running workers have no end yet"
    for row in rows:
        assert (row["endtime"] is None) == ((row["harvesterid"], row["workerid"]) in unset)
        assert row["submittime"] is not None


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(PILOTS, limit=MAX), "autopilot.pilots")
    assert_matches_schema(get_json(PILOTS, fields=",".join(queries.WORKER_COLUMNS)), "autopilot.pilots")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"computingsite": "TRIUMF_PROD"}, Q(computingsite="TRIUMF_PROD")),
        ({"computingsite": "ANALY_*"}, Q(computingsite__startswith="ANALY_")),
        ({"computingsite": "!ANALY_*"}, ~Q(computingsite__startswith="ANALY_")),
        ({"computingsite": "*_MCORE|TRIUMF_PROD"}, Q(computingsite__endswith="_MCORE") | Q(computingsite="TRIUMF_PROD")),
        ({"harvesterid": "BNL_harvester"}, Q(harvesterid="BNL_harvester")),
        ({"harvesterid": "CERN_central_*"}, Q(harvesterid__startswith="CERN_central_")),
        ({"status": "failed"}, Q(status="failed")),
        ({"status": "running|idle"}, Q(status__in=["running", "idle"])),
        ({"status": "!finished"}, ~Q(status="finished")),
        ({"pilotstatus": "started"}, Q(pilotstatus="started")),
        ({"resourcetype": "MCORE*"}, Q(resourcetype__startswith="MCORE")),
        ({"jobtype": "user"}, Q(jobtype="user")),
        ({"submissionhost": "aipanda171*"}, Q(submissionhost__startswith="aipanda171")),
        ({"computingelement": "*triumf*"}, Q(computingelement__contains="triumf")),
        ({"errorcode": "!0"}, ~Q(errorcode=0)),
        ({"status": "finished", "jobtype": "managed", "resourcetype": "SCORE"}, Q(status="finished", jobtype="managed", resourcetype="SCORE")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_workers(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], params: dict[str, str], expected: Q | None
) -> None:
    fixed = window(48)
    if expected is None:  # a value and a negation together are a syntax error
        assert "computingelement" in get_json(with_query(PILOTS, **params), status=400)["error"]["fields"]
        return
    wanted = worker_keys(fixed.workers(expected))
    assert 0 < len(wanted) < fixed.workers().count()
    assert worker_keys(get_json(with_query(PILOTS, limit=MAX, **params, **fixed.params))["data"]) == wanted


def test_one_batchid_or_workerid_selects_one_worker(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    worker = fixed.workers().order_by("harvesterid", "workerid").first()
    assert worker is not None
    key = {(worker.harvesterid, worker.workerid)}
    assert worker_keys(get_json(PILOTS, batchid=worker.batchid, **fixed.params)["data"]) == key
    by_id = get_json(PILOTS, workerid=str(worker.workerid), harvesterid=worker.harvesterid, **fixed.params)["data"]
    assert worker_keys(by_id) == key


def test_errorcode_and_workerid_take_numbers_only(get_json: Callable[..., Any]) -> None:
    for name in ("errorcode", "workerid"):
        assert name in get_json(PILOTS, status=400, **{name: "1*"})["error"]["fields"]
        assert name in get_json(PILOTS, status=400, **{name: "abc"})["error"]["fields"]


def test_it_limits_the_rows_and_says_when_more_exist(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    total = fixed.workers().count()
    body = get_json(PILOTS, limit=10, **fixed.params)
    assert body["meta"]["count"] == 10 and body["meta"]["truncated"] is True
    assert get_json(PILOTS, limit=total, **fixed.params)["meta"]["truncated"] is False


@pytest.mark.parametrize("sort", ["computingsite", "-errorcode", "submittime", "-workerid"])
def test_it_sorts_by_a_column_either_way_ties_by_the_worker_s_key(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], sort: str
) -> None:
    fixed = window(12)
    sign = "-" if sort.startswith("-") else ""
    order = list(dict.fromkeys([sort, f"{sign}harvesterid", f"{sign}workerid"]))
    expected = list(fixed.workers().order_by(*order).values_list("harvesterid", "workerid"))
    rows = get_json(PILOTS, limit=MAX, sort=sort, **fixed.params)["data"]
    assert [(row["harvesterid"], row["workerid"]) for row in rows] == expected


def test_it_returns_only_the_fields_asked_for(get_json: Callable[..., Any]) -> None:
    rows = get_json(PILOTS, fields="workerid,jdl,stdout")["data"]
    assert rows and all(set(row) == {"workerid", "jdl", "stdout"} for row in rows)
    assert all(row["jdl"].endswith(".sdf") for row in rows)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"nickname": "X"}, "nickname"),
        ({"tpid": "x"}, "tpid"),
        ({"errorcode": "1|"}, "errorcode"),
        ({"hours": "0"}, "hours"),
        ({"hours": "x"}, "hours"),
        ({"days": "1", "date_from": "2026-01-01"}, "days"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"limit": "-1"}, "limit"),
        ({"sort": "harvesterid,workerid"}, "sort"),
        ({"fields": "workerid,bogus"}, "fields"),
    ],
)
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    error = get_json(with_query(PILOTS, **params), status=400)["error"]
    assert error["code"] == "bad_request" and field in error["fields"]


def test_the_list_costs_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        params = {"limit": str(MAX), "computingsite": "ANALY_*", "sort": "submittime", "days": "2"}
        assert anon_client.get(PILOTS, params).status_code == 200


# ---------------------------------------------------------------------------- one pilot


def test_it_shows_a_worker_with_all_its_columns_and_the_jobs_it_ran(get_json: Callable[..., Any]) -> None:
    worker = HarvesterWorkers.objects.filter(with_jobs()).order_by("harvesterid", "workerid").first()
    assert worker is not None
    data = get_json(pilot_url(worker.harvesterid, worker.workerid))["data"]
    assert set(data) == {*queries.WORKER_COLUMNS, "pandaids", "pandaids_truncated", "jobs"}
    assert (data["computingsite"], data["status"], data["batchid"]) == (worker.computingsite, worker.status, worker.batchid)
    related = sorted(HarvesterRelJobsWorkers.objects.filter(harvesterid=worker.harvesterid, workerid=worker.workerid).values_list("pandaid", flat=True))
    assert data["pandaids"] == related and data["pandaids_truncated"] is False
    assert [job["pandaid"] for job in data["jobs"]] == sorted(find_jobs(related))
    for job in data["jobs"]:
        row = JOB_MODELS[job["table"]]._default_manager.get(pandaid=job["pandaid"])
        assert (job["jobstatus"], job["computingsite"], job["batchid"] if "batchid" in job else row.batchid) == (
            row.jobstatus, row.computingsite, worker.batchid
        )
        assert set(job) == {*queries.WORKER_JOB_FIELDS, "table"}


def test_its_answer_matches_its_declared_schema_with_and_without_jobs(get_json: Callable[..., Any]) -> None:
    for ran_jobs in (True, False):
        chosen = HarvesterWorkers.objects.filter(with_jobs() if ran_jobs else ~with_jobs())
        worker = chosen.order_by("harvesterid", "workerid").first()
        assert worker is not None
        body = get_json(pilot_url(worker.harvesterid, worker.workerid))
        assert bool(body["data"]["jobs"]) == ran_jobs
        assert_matches_schema(body, "autopilot.pilot")


def test_a_job_no_table_holds_any_more_is_named_but_not_shown(get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers]) -> None:
    worker = add_worker()
    HarvesterRelJobsWorkers.objects.create(harvesterid=worker.harvesterid, workerid=worker.workerid, pandaid=1, lastupdate=worker.lastupdate)
    data = get_json(pilot_url(worker.harvesterid, worker.workerid))["data"]
    assert data["pandaids"] == [1] and data["jobs"] == []


def test_the_jobs_of_a_worker_are_bounded(
    get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_WORKER_JOBS", 2)
    worker = add_worker()
    for pandaid in (3, 1, 2):
        HarvesterRelJobsWorkers.objects.create(harvesterid=worker.harvesterid, workerid=worker.workerid, pandaid=pandaid, lastupdate=worker.lastupdate)
    data = get_json(pilot_url(worker.harvesterid, worker.workerid))["data"]
    assert data["pandaids"] == [1, 2] and data["pandaids_truncated"] is True


def test_a_worker_s_unset_dates_are_null(get_json: Callable[..., Any]) -> None:
    worker = HarvesterWorkers.objects.filter(endtime__isnull=True, starttime__isnull=False).order_by("harvesterid", "workerid").first()
    assert worker is not None
    data = get_json(pilot_url(worker.harvesterid, worker.workerid))["data"]
    assert data["endtime"] is None and data["starttime"] is not None and data["submittime"] is not None


@pytest.mark.parametrize(("harvesterid", "workerid"), [("NO_SUCH_HARVESTER", "9000001"), ("BNL_harvester", "1"), ("BNL_harvester", str(2**63))])
def test_it_answers_404_json_for_an_unknown_worker(get_json: Callable[..., Any], harvesterid: str, workerid: str) -> None:
    error = get_json(pilot_url(harvesterid, workerid), status=404)["error"]
    assert error["code"] == "not_found" and harvesterid in error["message"]


def test_a_worker_id_must_be_a_number(anon_client: Client) -> None:
    assert anon_client.get(pilot_url("BNL_harvester", "abc")).status_code == 404


def test_a_worker_takes_no_parameters(get_json: Callable[..., Any]) -> None:
    worker = HarvesterWorkers.objects.order_by("harvesterid", "workerid").first()
    assert worker is not None
    assert "hours" in get_json(pilot_url(worker.harvesterid, worker.workerid), status=400, hours=1)["error"]["fields"]


def test_a_worker_costs_two_queries_and_one_per_job_table_for_its_jobs(anon_client: Client, django_assert_num_queries: Any) -> None:
    worker = HarvesterWorkers.objects.filter(with_jobs()).order_by("harvesterid", "workerid").first()
    assert worker is not None
    with django_assert_num_queries(2 + len(JOB_MODELS), connection=connections["panda"]):
        assert anon_client.get(pilot_url(worker.harvesterid, worker.workerid)).status_code == 200
