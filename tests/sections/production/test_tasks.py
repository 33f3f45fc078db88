"""JEDI tasks (/api/production/tasks/) and one task (/api/production/tasks/<jeditaskid>/)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from django.db import connections
from django.db.models import Q, QuerySet
from django.test import Client
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.jobs import PRECEDENCE
from pandjango.pandadb.models import JOB_MODELS, JediDatasets, JediTasks
from sections.production import queries

TASKS = "/api/production/tasks/"
JOBS = "/api/production/jobs/"


def task_url(jeditaskid: int) -> str:
    return f"/api/production/tasks/{jeditaskid}/"


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["jeditaskid"] for r in rows]


def week_window(seed_now: datetime) -> dict[str, str]:
    end = seed_now + timedelta(minutes=1)
    return {"date_from": iso(end - timedelta(days=7)), "date_to": iso(end)}


def tasks_in(params: dict[str, str]) -> QuerySet[JediTasks]:
    return JediTasks.objects.filter(modificationtime__gte=params["date_from"], modificationtime__lt=params["date_to"])


def fetch(client: Client, url: str, params: dict[str, str], status: int = 200) -> Any:
    """get_json with the parameters in a dict: the task filter `status` is also a name
    get_json takes for the HTTP status."""
    response = client.get(url, params)
    assert response.status_code == status, response.content[:300]
    return orjson.loads(response.content)


def busiest_task() -> int:
    """The task with the most jobs, across every job table."""
    counts: Counter[int] = Counter()
    for model in JOB_MODELS.values():
        counts.update(model._default_manager.values_list("jeditaskid", flat=True))
    return counts.most_common(1)[0][0]


# ---------------------------------------------------------------------------- the list


def test_it_lists_the_tasks_modified_in_the_last_week_newest_first(get_json: Callable[..., Any]) -> None:
    body = get_json(TASKS)
    start = timezone.now() - timedelta(days=7)
    expected = JediTasks.objects.filter(modificationtime__gte=start).order_by("-modificationtime", "-jeditaskid")
    assert ids(body["data"]) == list(expected.values_list("jeditaskid", flat=True)[:100])
    assert all(list(row) == list(queries.TASK_LIST_FIELDS) for row in body["data"])
    times = [row["modificationtime"] for row in body["data"]]
    assert times == sorted(times, reverse=True)


def test_its_default_window_is_seven_days(get_json: Callable[..., Any]) -> None:
    window = get_json(TASKS)["meta"]["window"]
    assert get_json(TASKS, days=7)["meta"]["window"] == window


def test_a_shorter_window_lists_fewer_tasks(get_json: Callable[..., Any], seed_now: datetime) -> None:
    end = seed_now + timedelta(minutes=1)
    params = {"date_from": iso(end - timedelta(days=1)), "date_to": iso(end)}
    rows = get_json(TASKS, limit=10000, **params)["data"]
    assert set(ids(rows)) == set(tasks_in(params).values_list("jeditaskid", flat=True))
    assert 0 < len(rows) < tasks_in(week_window(seed_now)).count()


@pytest.mark.parametrize(
    "params, q",
    [
        ({"status": "running|done"}, Q(status__in=["running", "done"])),
        ({"status": "!running"}, ~Q(status="running")),
        ({"username": "atlas-*"}, Q(username__startswith="atlas-")),
        ({"taskname": "*.simul.*"}, Q(taskname__contains=".simul.")),
        ({"taskname": "user.*"}, Q(taskname__startswith="user.")),
        ({"tasktype": "anal"}, Q(tasktype="anal")),
        ({"campaign": "MC23a|MC23c"}, Q(campaign__in=["MC23a", "MC23c"])),
        ({"prodsourcelabel": "managed", "processingtype": "simul|evgen"}, Q(prodsourcelabel="managed", processingtype__in=["simul", "evgen"])),
        ({"workinggroup": "AP_*"}, Q(workinggroup__startswith="AP_")),
        ({"cloud": "!US|DE"}, ~Q(cloud__in=["US", "DE"])),
    ],
)
def test_it_filters_on_task_columns(anon_client: Client, seed_now: datetime, params: dict[str, str], q: Q) -> None:
    window = week_window(seed_now)
    rows = fetch(anon_client, TASKS, {"limit": "10000", **params, **window})["data"]
    expected = set(tasks_in(window).filter(q).values_list("jeditaskid", flat=True))
    assert expected and set(ids(rows)) == expected


def test_it_filters_on_task_and_request_ids(get_json: Callable[..., Any], seed_now: datetime) -> None:
    window = week_window(seed_now)
    some = list(tasks_in(window).values("jeditaskid", "reqid")[:2])
    rows = get_json(TASKS, jeditaskid="|".join(str(t["jeditaskid"]) for t in some), **window)["data"]
    assert set(ids(rows)) == {t["jeditaskid"] for t in some}
    rows = get_json(TASKS, reqid=str(some[0]["reqid"]), limit=10000, **window)["data"]
    assert set(ids(rows)) == set(tasks_in(window).filter(reqid=some[0]["reqid"]).values_list("jeditaskid", flat=True))


def test_it_sorts_limits_and_chooses_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(TASKS, sort="jeditaskid", limit=5, fields="jeditaskid,status,progress")
    assert [list(r) for r in body["data"]] == [["jeditaskid", "status", "progress"]] * 5
    assert ids(body["data"]) == sorted(ids(body["data"]))
    assert body["meta"]["truncated"] is True and body["meta"]["count"] == 5
    progress = [r["progress"] for r in get_json(TASKS, sort="-progress", fields="jeditaskid,progress")["data"]]
    assert progress == sorted(progress, reverse=True)


def test_it_says_when_nothing_was_left_out(get_json: Callable[..., Any]) -> None:
    assert get_json(TASKS, limit=10000)["meta"]["truncated"] is False


@pytest.mark.parametrize(
    "params, field",
    [
        ({"jobstatus": "running"}, "jobstatus"),
        ({"jeditaskid": "abc"}, "jeditaskid"),
        ({"reqid": "5*"}, "reqid"),
        ({"status": "running|"}, "status"),
        ({"sort": "errordialog"}, "sort"),
        ({"fields": "jeditaskid,produserid"}, "fields"),
        ({"limit": "10001"}, "limit"),
        ({"days": "7", "hours": "1"}, "days"),
    ],
)
def test_it_rejects_bad_parameters(anon_client: Client, params: dict[str, str], field: str) -> None:
    assert field in fetch(anon_client, TASKS, params, status=400)["error"]["fields"]


def test_it_reads_the_tasks_in_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(TASKS, {"status": "!done", "limit": "1000"}).status_code == 200


# ---------------------------------------------------------------------------- one task


def test_one_task_has_its_columns_and_its_datasets(get_json: Callable[..., Any]) -> None:
    task = JediTasks.objects.values().first()
    assert task is not None
    data = get_json(task_url(task["jeditaskid"]))["data"]
    assert set(data) == {*queries.TASK_COLUMNS, "datasets", "job_counts"}
    assert data["taskname"] == task["taskname"] and data["status"] == task["status"]
    datasets = list(JediDatasets.objects.filter(jeditaskid=task["jeditaskid"]).order_by("datasetid").values(*queries.DATASET_COLUMNS))
    assert datasets and data["datasets"] == datasets


def test_one_task_counts_its_jobs_by_jobstatus_in_every_table_each_job_once(get_json: Callable[..., Any]) -> None:
    jeditaskid = busiest_task()
    status_of: dict[int, str] = {}
    for table in reversed(PRECEDENCE):  # the table first in PRECEDENCE has the last word
        status_of.update(JOB_MODELS[table]._default_manager.filter(jeditaskid=jeditaskid).values_list("pandaid", "jobstatus"))
    counts = Counter(status_of.values())
    job_counts = get_json(task_url(jeditaskid))["data"]["job_counts"]
    assert {r["jobstatus"]: r["count"] for r in job_counts} == dict(counts)
    assert [r["count"] for r in job_counts] == sorted((r["count"] for r in job_counts), reverse=True)


def test_one_task_counts_as_many_jobs_as_the_jobs_list_shows(get_json: Callable[..., Any]) -> None:
    jeditaskid = busiest_task()
    job_counts = get_json(task_url(jeditaskid))["data"]["job_counts"]
    listed = get_json(JOBS, jeditaskid=str(jeditaskid), days=30, limit=10000, fields="pandaid,jobstatus")
    assert listed["meta"]["truncated"] is False
    assert {r["jobstatus"]: r["count"] for r in job_counts} == dict(Counter(r["jobstatus"] for r in listed["data"]))


def test_one_task_answers_404_in_json_when_it_does_not_exist(get_json: Callable[..., Any]) -> None:
    error = get_json(task_url(1), status=404)["error"]
    assert error["code"] == "not_found" and "1" in error["message"]


def test_one_task_takes_no_parameters(get_json: Callable[..., Any]) -> None:
    task = JediTasks.objects.values("jeditaskid").first()
    assert task is not None
    assert get_json(task_url(task["jeditaskid"]), status=400, days="3")["error"]["fields"] == {"days": "unknown parameter"}


def test_one_task_is_read_in_a_fixed_number_of_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    jeditaskid = busiest_task()
    # the task, its datasets, one GROUP BY per job table
    with django_assert_num_queries(2 + len(JOB_MODELS), connection=connections["panda"]):
        assert anon_client.get(task_url(jeditaskid)).status_code == 200


def test_tasks_never_show_a_dn(staff_client: Client) -> None:
    for url in (TASKS, task_url(busiest_task())):
        response = staff_client.get(url)
        assert response.status_code == 200 and b"/DC=" not in response.content


def test_a_task_id_out_of_range_is_a_400_in_the_list_and_a_404_for_one_task(anon_client: Client) -> None:
    assert "jeditaskid" in fetch(anon_client, TASKS, {"jeditaskid": str(10**25)}, status=400)["error"]["fields"]
    assert fetch(anon_client, task_url(10**25), {}, status=404)["error"]["code"] == "not_found"
