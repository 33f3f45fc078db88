"""Recent pilots (/api/autopilot/pilots/) and one pilot (/api/autopilot/pilots/<tpid>/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.models import JOB_MODELS, PilotQueue
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

PILOTS = "/api/autopilot/pilots/"
MAX = 10000


def pilot_url(tpid: str) -> str:
    return f"/api/autopilot/pilots/{tpid}/"


def tpids(body: dict[str, Any]) -> set[str]:
    return {row["tpid"] for row in body["data"]}


# ---------------------------------------------------------------------------- the list


def test_it_lists_pilots_newest_first_with_the_default_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(PILOTS, limit=500)
    rows = body["data"]
    assert len(rows) == body["meta"]["count"] == 500
    assert [(r["tstate"], r["tpid"]) for r in rows] == sorted(((r["tstate"], r["tpid"]) for r in rows), reverse=True)
    assert all(list(row) == list(queries.PILOT_LIST_FIELDS) for row in rows)


def test_its_default_window_is_the_last_12_hours_of_tstate(get_json: Callable[..., Any]) -> None:
    body = get_json(PILOTS, limit=MAX)
    start, end = (parse_datetime(body["meta"]["window"][k]) for k in ("from", "to"))
    assert start is not None and end is not None and end - start == timedelta(hours=12)
    times = [parse_datetime(row["tstate"]) for row in body["data"]]
    assert all(t is not None and start - timedelta(seconds=1) <= t <= end for t in times)


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_it_lists_every_pilot_whose_tstate_is_in_the_window(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    body = get_json(PILOTS, limit=MAX, **fixed.params)
    assert tpids(body) == set(fixed.pilots().values_list("tpid", flat=True))
    assert body["meta"]["truncated"] is False


def test_it_returns_unset_1970_dates_as_null(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    rows = {r["tpid"]: r for r in get_json(PILOTS, limit=MAX, fields="tpid,tend,tretrieve,tstart", **fixed.params)["data"]}
    unset = set(fixed.pilots(Q(tend__year=1970)).values_list("tpid", flat=True))
    assert unset, "running pilots have no end yet"
    for tpid, row in rows.items():
        assert (row["tend"] is None) == (tpid in unset)
        assert row["tretrieve"] is None and row["tstart"] is not None


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(PILOTS, limit=MAX), "autopilot.pilots")
    assert_matches_schema(get_json(PILOTS, fields=",".join(queries.PILOT_COLUMNS)), "autopilot.pilots")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"nickname": "TRIUMF_PROD"}, Q(nickname="TRIUMF_PROD")),
        ({"nickname": "TRIUMF_PROD|ANALY_TRIUMF"}, Q(nickname__in=["TRIUMF_PROD", "ANALY_TRIUMF"])),
        ({"nickname": "!ANALY_*"}, ~Q(nickname__startswith="ANALY_")),
        ({"nickname": "ANALY_*"}, Q(nickname__startswith="ANALY_")),
        ({"nickname": "*_MCORE|TRIUMF_PROD"}, Q(nickname__endswith="_MCORE") | Q(nickname="TRIUMF_PROD")),
        ({"queueid": "CERN-PROD"}, Q(queueid="CERN-PROD")),
        ({"queueid": "INFN-*"}, Q(queueid__startswith="INFN-")),
        ({"type": "atlasAnalysis"}, Q(type="atlasAnalysis")),
        ({"type": "!atlasAnalysis"}, ~Q(type="atlasAnalysis")),
        ({"state": "done"}, Q(state="done")),
        ({"state": "running|submitted"}, Q(state__in=["running", "submitted"])),
        ({"status": "failed"}, Q(status="failed")),
        ({"status": "!active"}, ~Q(status="active")),
        ({"submithost": "aipanda*"}, Q(submithost__startswith="aipanda")),
        ({"submithost": "gridui07|voatlas60"}, Q(submithost__in=["gridui07", "voatlas60"])),
        ({"errcode": "!0"}, ~Q(errcode=0)),
        ({"tpid": "tp_gridui12_*"}, Q(tpid__startswith="tp_gridui12_")),
        ({"state": "done", "status": "finished", "type": "atlasOfficial2"}, Q(state="done", status="finished", type="atlasOfficial2")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_pilots(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], params: dict[str, str], expected: Q
) -> None:
    fixed = window(48)
    wanted = set(fixed.pilots(expected).values_list("tpid", flat=True))
    assert 0 < len(wanted) < fixed.pilots().count()
    assert tpids(get_json(with_query(PILOTS, limit=MAX, **params, **fixed.params))) == wanted


def test_errcode_takes_one_or_several_numbers(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(48)
    codes = sorted(set(fixed.pilots(~Q(errcode=0)).values_list("errcode", flat=True)))
    assert len(codes) >= 2
    one, two = codes[0], codes[1]
    assert tpids(get_json(PILOTS, limit=MAX, errcode=str(one), **fixed.params)) == set(fixed.pilots(Q(errcode=one)).values_list("tpid", flat=True))
    both = get_json(PILOTS, limit=MAX, errcode=f"{one}|{two}", **fixed.params)
    assert tpids(both) == set(fixed.pilots(Q(errcode__in=[one, two])).values_list("tpid", flat=True))


def test_one_tpid_selects_one_pilot(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    pilot = fixed.pilots().order_by("tpid").first()
    assert pilot is not None
    assert tpids(get_json(PILOTS, tpid=pilot.tpid, **fixed.params)) == {pilot.tpid}


def test_it_limits_the_rows_and_says_when_more_exist(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    total = fixed.pilots().count()
    body = get_json(PILOTS, limit=10, **fixed.params)
    assert body["meta"]["count"] == 10 and body["meta"]["truncated"] is True
    assert get_json(PILOTS, limit=total, **fixed.params)["meta"]["truncated"] is False


@pytest.mark.parametrize("sort", ["nickname", "-errcode", "tsubmit", "-user_"])
def test_it_sorts_by_a_column_either_way(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], sort: str) -> None:
    fixed = window(12)
    column = sort.lstrip("-")
    field = "user" if column == "user_" else column
    descending = sort.startswith("-")
    expected = list(fixed.pilots().order_by(f"-{field}" if descending else field, "-tpid" if descending else "tpid").values_list("tpid", flat=True))
    rows = get_json(PILOTS, limit=MAX, sort=sort, fields=f"tpid,{column}", **fixed.params)["data"]
    assert [row["tpid"] for row in rows] == expected


def test_it_returns_only_the_fields_asked_for(get_json: Callable[..., Any]) -> None:
    rows = get_json(PILOTS, fields="tpid,user_,message")["data"]
    assert rows and all(set(row) == {"tpid", "user_", "message"} for row in rows)
    assert {row["user_"] for row in rows} == {"atlpan"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"computingsite": "X"}, "computingsite"),
        ({"errinfo": "x"}, "errinfo"),
        ({"errcode": "abc"}, "errcode"),
        ({"errcode": "1*"}, "errcode"),
        ({"errcode": "1|"}, "errcode"),
        ({"hours": "0"}, "hours"),
        ({"hours": "x"}, "hours"),
        ({"days": "1", "date_from": "2026-01-01"}, "days"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"limit": "-1"}, "limit"),
        ({"sort": "pandaid,tpid"}, "sort"),
        ({"fields": "tpid,bogus"}, "fields"),
    ],
)
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    error = get_json(with_query(PILOTS, **params), status=400)["error"]
    assert error["code"] == "bad_request" and field in error["fields"]


def test_the_list_costs_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(PILOTS, {"limit": str(MAX), "nickname": "ANALY_*", "sort": "tsubmit", "days": "2"}).status_code == 200


# ---------------------------------------------------------------------------- one pilot


def test_it_shows_a_pilot_and_the_job_it_ran(get_json: Callable[..., Any]) -> None:
    pilot = PilotQueue.objects.filter(pandaid__isnull=False).order_by("tpid").first()
    assert pilot is not None
    data = get_json(pilot_url(pilot.tpid))["data"]
    assert data["tpid"] == pilot.tpid and data["nickname"] == pilot.nickname and data["user_"] == pilot.user
    assert set(data) == {*queries.PILOT_COLUMNS, "job"}
    job = data["job"]
    assert job["pandaid"] == pilot.pandaid and set(job) == {*queries.PILOT_JOB_FIELDS, "table"}
    row = JOB_MODELS[job["table"]]._default_manager.get(pandaid=pilot.pandaid)
    assert (job["jobstatus"], job["computingsite"]) == (row.jobstatus, pilot.nickname)


def test_its_answer_matches_its_declared_schema_with_and_without_a_job(get_json: Callable[..., Any]) -> None:
    for has_job in (True, False):
        pilot = PilotQueue.objects.filter(pandaid__isnull=not has_job).order_by("tpid").first()
        assert pilot is not None
        body = get_json(pilot_url(pilot.tpid))
        assert (body["data"]["job"] is not None) == has_job
        assert_matches_schema(body, "autopilot.pilot")


def test_a_pilot_that_found_no_work_has_no_job(get_json: Callable[..., Any]) -> None:
    pilot = PilotQueue.objects.filter(errinfo=queries.NO_JOBS).order_by("tpid").first()
    assert pilot is not None
    data = get_json(pilot_url(pilot.tpid))["data"]
    assert data["pandaid"] is None and data["job"] is None and data["errinfo"] == queries.NO_JOBS


def test_a_pilot_whose_job_is_in_no_table_has_a_null_job(get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue]) -> None:
    pilot = add_pilot(pandaid=1)
    data = get_json(pilot_url(pilot.tpid))["data"]
    assert data["pandaid"] == 1 and data["job"] is None


def test_a_pilot_s_unset_dates_are_null(get_json: Callable[..., Any]) -> None:
    pilot = PilotQueue.objects.filter(tend__year=1970).order_by("tpid").first()
    assert pilot is not None
    data = get_json(pilot_url(pilot.tpid))["data"]
    assert data["tend"] is None and data["tdone"] is None and data["tsubmit"] is not None


def test_it_answers_404_json_for_an_unknown_tpid(get_json: Callable[..., Any]) -> None:
    error = get_json(pilot_url("tp_nohost_1_20200101-000000_1"), status=404)["error"]
    assert error["code"] == "not_found" and "tp_nohost_1_20200101-000000_1" in error["message"]


def test_a_pilot_takes_no_parameters(get_json: Callable[..., Any]) -> None:
    pilot = PilotQueue.objects.order_by("tpid").first()
    assert pilot is not None
    assert "hours" in get_json(pilot_url(pilot.tpid), status=400, hours=1)["error"]["fields"]


def test_a_pilot_costs_one_query_and_one_per_job_table_for_its_job(anon_client: Client, django_assert_num_queries: Any) -> None:
    pilot = PilotQueue.objects.filter(pandaid__isnull=False).order_by("tpid").first()
    assert pilot is not None
    with django_assert_num_queries(1 + len(JOB_MODELS), connection=connections["panda"]):
        assert anon_client.get(pilot_url(pilot.tpid)).status_code == 200
