"""The BigPanDA-compatible paths: BigPanDA's keys, nesting, value types and spacing, its
parameters, and the rules of /api/ (bad input is a JSON 4xx, no DN for anonymous users,
the production section's state, caching per endpoint name)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from pandjango.pandadb.models import JOB_MODELS, FilesTable4, FilesTableArch, JediDatasets, JediTaskParams, JobsArchived4

from .conftest import task_jobs

NAIVE_LIST_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
NAIVE_JOB_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def test_jobs_of_a_task_have_bigpandas_three_parts(bigpanda_json: Callable[..., Any], busy_task: int) -> None:
    body = bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, mode="nodrop", limit=10000)
    assert set(body) == {"selectionsummary", "jobs", "errsByCount"}
    assert {job["pandaid"] for job in body["jobs"]} == set(task_jobs(busy_task))
    statuses = next(s for s in body["selectionsummary"] if s["field"] == "jobstatus")
    counted = {item["kname"]: item["kvalue"] for item in statuses["list"]}
    expected: dict[str, int] = {}
    for job in task_jobs(busy_task).values():
        expected[job["jobstatus"]] = expected.get(job["jobstatus"], 0) + 1
    assert counted == expected


def test_job_times_in_a_list_have_no_zone(bigpanda_json: Callable[..., Any], busy_task: int) -> None:
    jobs = bigpanda_json("/jobs/", json="", jeditaskid=busy_task)["jobs"]
    assert jobs and all(NAIVE_LIST_TIME.match(job["modificationtime"]) for job in jobs)
    first = jobs[0]
    row = task_jobs(busy_task)[first["pandaid"]]
    assert first["modificationtime"] == row["modificationtime"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_answer_is_spaced_as_json_dumps_spaces_it(anon_client: Client, busy_task: int) -> None:
    response = anon_client.get("/jobs/", {"jeditaskid": busy_task, "fields": "pandaid,jobstatus"}, headers={"Accept": "application/json"})
    text = response.content.decode()
    assert text == json.dumps(json.loads(text))
    assert "}, {" in text


def test_retried_jobs_are_dropped_for_a_task_unless_nodrop(bigpanda_json: Callable[..., Any], busy_task: int) -> None:
    old = next(job for job in task_jobs(busy_task).values() if job["jobstatus"] == "finished")
    retry = {**old, "pandaid": 9_000_000_001, "parentid": old["pandaid"], "attemptnr": (old["attemptnr"] or 1) + 1}
    JobsArchived4.objects.create(**retry)
    dropped = {job["pandaid"] for job in bigpanda_json("/jobs/", json="1", jeditaskid=busy_task)["jobs"]}
    kept = {job["pandaid"] for job in bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, mode="nodrop")["jobs"]}
    assert old["pandaid"] in kept and retry["pandaid"] in kept
    assert old["pandaid"] not in dropped and retry["pandaid"] in dropped


def test_fields_trims_each_job_and_metastruct_is_the_jobs_metadata(
    bigpanda_json: Callable[..., Any], user_task: dict[str, Any]
) -> None:
    jobs = bigpanda_json("/jobs/", json="1", jeditaskid=user_task["jeditaskid"], fields="metastruct")["jobs"]
    documents = [job["metastruct"] for job in jobs if job]
    assert documents and all("user_job_metadata" in d for d in documents)
    assert all(set(job) <= {"metastruct"} for job in jobs)


def test_sortby_and_outputs_follow_bigpanda(bigpanda_json: Callable[..., Any], busy_task: int) -> None:
    body = bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, sortby="pandaid-ascending", outputs="jobs", display_limit=5)
    ids = [job["pandaid"] for job in body["jobs"]]
    assert ids == sorted(ids)
    assert body["selectionsummary"] == [] and body["errsByCount"] == []


def test_errs_by_count_carries_the_jobs_own_diag(bigpanda_json: Callable[..., Any]) -> None:
    failed = JOB_MODELS["archived"]._default_manager.filter(jobstatus="failed", piloterrorcode__gt=0).order_by("-modificationtime").first()
    assert failed is not None
    body = bigpanda_json("/jobs/", json="1", pandaid=failed.pandaid)
    entry = next(e for e in body["errsByCount"] if e["error"] == f"pilot:{failed.piloterrorcode}")
    assert entry["diag"] == failed.piloterrordiag and entry["codename"] == "piloterrorcode" and entry["count"] == 1


def test_anonymous_users_get_no_produserid(bigpanda_json: Callable[..., Any], staff_client: Client, busy_task: int) -> None:
    anonymous = bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, limit=5)["jobs"]
    assert anonymous and all("produserid" not in job for job in anonymous)
    assert not bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, limit=5, fields="produserid,pandaid")["jobs"][0].get("produserid")
    staff = bigpanda_json("/jobs/", json="1", jeditaskid=busy_task, limit=5, client=staff_client)["jobs"]
    assert all(job["produserid"].startswith("/DC=") for job in staff)
    one = bigpanda_json(f"/job/{anonymous[0]['pandaid']}/")["job"]
    assert "produserid" not in one


def test_one_job_has_its_files_and_times_with_a_space(bigpanda_json: Callable[..., Any]) -> None:
    job = JobsArchived4.objects.order_by("-pandaid").first()
    assert job is not None
    for path, params in ((f"/job/{job.pandaid}/", {}), ("/job", {"pandaid": job.pandaid}), ("/job", {"batchid": job.batchid})):
        body = bigpanda_json(path, **params)
        assert set(body) == {"job", "files", "dsfiles"}
        assert body["job"]["pandaid"] == job.pandaid
        assert NAIVE_JOB_TIME.match(body["job"]["modificationtime"])
    files = bigpanda_json(f"/job/{job.pandaid}/")["files"]
    expected = FilesTable4.objects.filter(pandaid=job.pandaid)
    assert sorted(f["lfn"] for f in files) == sorted(expected.values_list("lfn", flat=True))
    assert {f["type"] for f in files} == {"input", "output", "log"}
    assert all(f["guid"] and f["scope"] and f["fsize"] > 0 for f in files)


def test_an_archived_jobs_files_come_from_the_archive(bigpanda_json: Callable[..., Any]) -> None:
    archived_only = FilesTableArch.objects.exclude(pandaid__in=FilesTable4.objects.values("pandaid")).first()
    assert archived_only is not None
    files = bigpanda_json(f"/job/{archived_only.pandaid}/")["files"]
    assert archived_only.lfn in {f["lfn"] for f in files}


def test_tasks_with_datasets_have_dsinfo(bigpanda_json: Callable[..., Any], user_task: dict[str, Any]) -> None:
    tasks = bigpanda_json("/tasks/", json="1", datasets="True", taskname=user_task["taskname"], days=30)
    assert [t["jeditaskid"] for t in tasks] == [user_task["jeditaskid"]]
    datasets = JediDatasets.objects.filter(jeditaskid=user_task["jeditaskid"], type="input").values().get()
    info = tasks[0]["dsinfo"]
    assert info["nfiles"] == datasets["nfiles"] and info["nfilesfinished"] == datasets["nfilesfinished"]
    assert info["pctfinished"] == 100 * datasets["nfilesfinished"] // datasets["nfiles"]
    assert {d["streamname"] for d in tasks[0]["datasets"]} == {"IN", "OUTPUT0"}
    assert NAIVE_LIST_TIME.match(tasks[0]["creationdate"])


def test_task_wildcards_and_limit(bigpanda_json: Callable[..., Any]) -> None:
    tasks = bigpanda_json("/tasks/", json="1", taskname="user.*", days=30, limit=3)
    assert len(tasks) == 3 and all(t["taskname"].startswith("user.") for t in tasks)
    assert "datasets" not in tasks[0]


def test_one_task_has_its_parameters_and_datasets(bigpanda_json: Callable[..., Any], user_task: dict[str, Any]) -> None:
    body = bigpanda_json(f"/task/{user_task['jeditaskid']}/", json="1")
    assert set(body) == {"task", "taskparams", "datasets"}
    stored = json.loads(JediTaskParams.objects.get(jeditaskid=user_task["jeditaskid"]).taskparams)
    assert body["taskparams"] == stored and body["taskparams"]["taskName"] == user_task["taskname"]
    assert body["task"]["jeditaskid"] == user_task["jeditaskid"] and len(body["datasets"]) == 2


def test_errors_have_the_four_summaries(bigpanda_json: Callable[..., Any]) -> None:
    body = bigpanda_json("/errors/", json="1", hours=96)
    assert set(body) == {"errsByCount", "errsBySite", "errsByUser", "errsByTask"}
    assert body["errsByCount"] and all(set(e) >= {"error", "codename", "codeval", "diag", "desc", "count"} for e in body["errsByCount"])
    site = body["errsBySite"][0]
    assert site["toterrors"] == sum(e["count"] for e in site["errorlist"])


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/jobs/", {"no_such": "1"}, "no_such"),
        ("/jobs/", {"limit": "-3"}, "limit"),
        ("/jobs/", {"limit": "99999999"}, "limit"),
        ("/jobs/", {"sortby": "nonsense"}, "sortby"),
        ("/jobs/", {"hours": "x"}, "hours"),
        ("/tasks/", {"datasets": "maybe"}, "datasets"),
        ("/job", {}, "pandaid"),
        ("/errors/", {"jeditaskid": "abc"}, "jeditaskid"),
    ],
)
def test_bad_input_is_a_json_400_naming_the_parameter(anon_client: Client, path: str, params: dict[str, str], field: str) -> None:
    response = anon_client.get(path, {**params, "json": "1"})
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert field in json.loads(response.content)["error"]["fields"]


def test_unknown_ids_are_a_json_404(bigpanda_json: Callable[..., Any]) -> None:
    assert bigpanda_json("/job/1/", status=404)["error"]["code"] == "not_found"
    assert bigpanda_json("/task/1/", status=404)["error"]["code"] == "not_found"
    assert bigpanda_json("/job", status=404, jobname="no-such-job")["error"]["code"] == "not_found"


def test_a_browser_is_sent_to_the_pandjango_page(anon_client: Client) -> None:
    cases = {
        "/jobs/?jobstatus=failed&hours=3&display_limit=10": "/production/jobs/?jobstatus=failed&hours=3",
        "/job/123/": "/production/jobs/123/",
        "/job?pandaid=123": "/production/jobs/123/",
        "/tasks/?taskname=user.*": "/production/tasks/?taskname=user.%2A",
        "/task/42/": "/production/tasks/42/",
        "/errors/?computingsite=X": "/production/errors/?computingsite=X",
    }
    for asked, page in cases.items():
        response = anon_client.get(asked, headers={"Accept": "text/html"})
        assert response.status_code == 302 and response["Location"] == page, asked


def test_text_json_is_json_too(anon_client: Client, busy_task: int) -> None:
    response = anon_client.get("/jobs/", {"jeditaskid": busy_task, "limit": 2}, headers={"Accept": "text/json"})
    assert response.status_code == 200 and json.loads(response.content)["jobs"]


def test_the_paths_follow_the_production_sections_state(
    pandjango_config: Callable[[str, Any], None], anon_client: Client, beta_client: Client
) -> None:
    pandjango_config("sections.production.state", "beta")
    response = anon_client.get("/tasks/", {"json": "1"})
    assert response.status_code == 403 and json.loads(response.content)["error"]["code"] == "forbidden"
    assert beta_client.get("/tasks/", {"json": "1"}).status_code == 200


def test_answers_are_cached_under_their_endpoint_name(
    pandjango_config: Callable[[str, Any], None], anon_client: Client, busy_task: int
) -> None:
    pandjango_config("cache.lifetimes", {"bigpanda.jobs": 300})
    params = {"json": "1", "jeditaskid": busy_task, "limit": 3}
    first = anon_client.get("/jobs/", params)
    again = anon_client.get("/jobs/", {**params, "timestamp": datetime.now(UTC).strftime("%H:%M:%S")})
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    assert again["Cache-Control"] == "max-age=300" and again.content == first.content
