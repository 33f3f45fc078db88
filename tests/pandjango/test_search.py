"""/api/search/?q=: what a PandaID, batch id, JEDI task id, Harvester worker id, queue or user name names."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from pandjango.pandadb.models import HarvesterRelJobsWorkers, HarvesterWorkers, JediTasks, JobsActive4, JobsArchived4
from pandjango.pandadb.queues import all_queues, forget_queues
from tests.queues_helpers import add_queue, documents

URL = "/api/search/"


def _kinds(hits: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(h["kind"], h["id"]) for h in hits}


def test_a_pandaid_finds_its_job(get_json) -> None:
    job = JobsActive4.objects.order_by("pandaid").first()
    assert job is not None
    hits = get_json(URL, q=str(job.pandaid))["data"]
    assert {"kind": "job", "id": str(job.pandaid), "url": f"/production/jobs/{job.pandaid}/", "label": f"{job.jobstatus} at {job.computingsite}"} in hits


def test_a_jeditaskid_finds_its_task(get_json) -> None:
    task = JediTasks.objects.order_by("jeditaskid").first()
    assert task is not None
    hits = get_json(URL, q=str(task.jeditaskid))["data"]
    assert [(h["kind"], h["id"], h["url"]) for h in hits] == [("task", str(task.jeditaskid), f"/production/tasks/{task.jeditaskid}/")]


def test_a_worker_id_finds_its_pilot(get_json) -> None:
    worker = HarvesterWorkers.objects.order_by("harvesterid", "workerid").first()
    assert worker is not None
    hits = [h for h in get_json(URL, q=str(worker.workerid))["data"] if h["kind"] == "pilot"]
    key = f"{worker.harvesterid}/{worker.workerid}"
    assert [(h["id"], h["url"]) for h in hits] == [(key, f"/autopilot/pilots/{key}/")]
    assert hits[0]["label"] == f"{worker.status} at {worker.computingsite}, batch id {worker.batchid}"


def test_a_batch_id_finds_the_pilot_and_the_job_it_ran(get_json) -> None:
    job = JobsArchived4.objects.exclude(batchid=None).order_by("pandaid").first()
    assert job is not None and job.batchid
    relation = HarvesterRelJobsWorkers.objects.get(pandaid=job.pandaid)
    worker = HarvesterWorkers.objects.get(harvesterid=relation.harvesterid, workerid=relation.workerid)
    assert worker.batchid == job.batchid
    hits = get_json(URL, q=job.batchid)["data"]
    assert {("job", str(job.pandaid)), ("pilot", f"{worker.harvesterid}/{worker.workerid}")} <= _kinds(hits)
    assert hits[0]["kind"] == "job"  # jobs come first


def test_a_batch_id_in_jobsarchived4_alone_finds_the_job(get_json) -> None:
    job = JobsArchived4.objects.order_by("pandaid").first()
    assert job is not None
    JobsArchived4.objects.filter(pk=job.pk).update(batchid="77777777.3")
    assert _kinds(get_json(URL, q="77777777.3")["data"]) == {("job", str(job.pandaid))}


def test_a_queue_matches_by_name_or_prefix_in_any_case_the_exact_one_first(get_json) -> None:
    nickname = sorted(name for name in documents() if name.endswith("_PROD"))[0]
    add_queue(nickname + "_X", '{"cloud": "CA", "status": "online"}')
    try:
        hits = get_json(URL, q=nickname.lower())["data"]
        assert [h["id"] for h in hits] == [nickname, nickname + "_X"]
        assert hits[0]["url"] == f"/sites/{nickname}/" and hits[0]["kind"] == "queue"
        prefix = get_json(URL, q="analy_")["data"]
        expected = sum(name.startswith("ANALY_") for name in documents())
        assert len(prefix) == min(expected, 20) and all(h["id"].startswith("ANALY_") for h in prefix)
    finally:
        forget_queues()


def test_a_user_name_finds_the_users_jobs(get_json) -> None:
    name = JobsActive4.objects.exclude(produsername=None).order_by("pandaid").values_list("produsername", flat=True).first()
    assert name
    hits = get_json(URL, q=name)["data"]
    user = [h for h in hits if h["kind"] == "user"]
    assert user == [{"kind": "user", "id": name, "url": f"/production/jobs/?produsername={name}", "label": "jobs of this user"}]


def test_a_user_with_tasks_only_finds_the_users_tasks(get_json) -> None:
    JediTasks.objects.create(jeditaskid=99_000_001, taskname="user.only tasks", status="done", username="Only Tasks")
    hits = get_json(URL, q="Only Tasks")["data"]
    assert hits == [{"kind": "user", "id": "Only Tasks", "url": "/production/tasks/?username=Only+Tasks", "label": "tasks of this user"}]


def test_nothing_found_is_an_empty_list(get_json) -> None:
    body = get_json(URL, q="12")
    assert body["data"] == [] and body["meta"]["count"] == 0
    assert get_json(URL, q="no such thing")["data"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}])
def test_it_needs_a_q_of_at_most_200_characters(get_json, params: dict[str, str]) -> None:
    error = get_json(URL, status=400, **params)["error"]
    assert error["code"] == "bad_request" and "q" in error["fields"]


def test_it_takes_200_characters(get_json) -> None:
    assert get_json(URL, q="x" * 200)["data"] == []


def test_it_rejects_other_parameters(get_json) -> None:
    assert "hours" in get_json(URL, status=400, q="x", hours="2")["error"]["fields"]


def test_it_leaves_out_what_the_user_may_not_see(get_json, pandjango_config, beta_client) -> None:
    job = JobsActive4.objects.order_by("pandaid").first()
    assert job is not None
    pandjango_config("sections.production.state", "beta")
    assert get_json(URL, q=str(job.pandaid))["data"] == []
    assert _kinds(get_json(URL, client=beta_client, q=str(job.pandaid))["data"]) == {("job", str(job.pandaid))}
    pandjango_config("sections.sites.state", "off")
    assert get_json(URL, client=beta_client, q="ANALY_")["data"] == []


def test_it_is_open_when_every_section_is_in_beta(get_json, pandjango_config) -> None:
    for section in ("autopilot", "production", "sites", "stats"):
        pandjango_config(f"sections.{section}.state", "beta")
    assert get_json(URL, q="ANALY_")["data"] == []


def test_its_lookups_are_few(anon_client, django_assert_num_queries) -> None:
    # A number: the two final job tables by batch id, the workers by worker id, the five job
    # tables by PandaID, the task; the queues are kept in memory. No user lookup for a number.
    all_queues()
    with django_assert_num_queries(9, connection=connections["panda"]):
        assert anon_client.get(URL, {"q": "6400000001"}).status_code == 200
