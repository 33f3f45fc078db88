from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models import Count, F, Q

from pandjango.pandadb import demodata, errorcodes, models
from pandjango.pandadb.jobs import FINAL_STATES

STATES_OF_TABLE = {
    models.JobsDefined4: {"pending", "defined", "assigned", "waiting"},
    models.JobsWaiting4: {"waiting"},
    models.JobsActive4: {"activated", "throttled", "sent", "starting", "running", "holding", "transferring", "merging"},
    models.JobsArchived4: FINAL_STATES,
    models.JobsArchived: FINAL_STATES,
}


@pytest.mark.parametrize("model", list(STATES_OF_TABLE), ids=lambda m: m.__name__)
def test_each_state_is_only_in_its_table(model: Any) -> None:
    states = set(model.objects.values_list("jobstatus", flat=True).distinct())
    assert states <= STATES_OF_TABLE[model]


def test_the_seed_fills_the_live_tables_and_the_archive(panda_data: dict[str, Any]) -> None:
    for table in ("JOBSDEFINED4", "JOBSACTIVE4", "JOBSARCHIVED4", "JOBSARCHIVED", "PILOTQUEUE", "JEDI_TASKS", "SCHEDCONFIG"):
        assert panda_data[table] > 0, table
    assert models.CloudConfig.objects.count() == 12
    assert 90 <= models.SchedConfig.objects.count() <= 150


def test_times_are_consistent() -> None:
    for model in (models.JobsArchived4, models.JobsArchived):
        assert not model.objects.filter(Q(starttime__lt=F("creationtime")) | Q(endtime__lt=F("starttime")) | Q(modificationtime__lt=F("endtime"))).exists()


def test_about_one_in_ten_finished_jobs_failed() -> None:
    final = models.JobsArchived4.objects.filter(jobstatus__in=["finished", "failed"])
    failed = final.filter(jobstatus="failed").count()
    assert 0.05 < failed / final.count() < 0.16


def test_failed_jobs_carry_a_known_code_of_one_component_with_a_diag() -> None:
    for job in models.JobsArchived4.objects.filter(jobstatus="failed").values():
        errors = errorcodes.decode_errors(job)
        assert len(errors) == 1, job["pandaid"]
        error = errors[0]
        assert error["diag"]
        if error["component"] != "exe":
            assert error["code"] in errorcodes.CODES[error["component"]]


def test_jobs_point_at_their_pilots_and_back() -> None:
    job = models.JobsArchived4.objects.filter(jobstatus="finished").exclude(pilotid=None).first()
    assert job is not None
    pilot = models.PilotQueue.objects.get(tpid=job.pilotid)
    assert pilot.pandaid == job.pandaid and pilot.nickname == job.computingsite


def test_some_pilots_found_no_work_and_some_services_are_stale() -> None:
    assert models.PilotQueue.objects.filter(errinfo="Dispatcher has no jobs", status="finished", errcode=0, pandaid=None).exists()
    assert models.ServiceList.objects.filter(status="unknown").exists()


def test_tpids_have_the_real_format() -> None:
    tpid = models.PilotQueue.objects.values_list("tpid", flat=True).first()
    assert tpid is not None
    head, host, pid, stamp, n = tpid.split("_")[0], tpid.split("_")[1], tpid.split("_")[2], tpid.split("_")[3], tpid.split("_")[4]
    assert head == "tp" and host in demodata.SUBMITHOSTS and pid.isdigit() and n.isdigit()
    datetime.strptime(stamp, "%Y%m%d-%H%M%S")


def test_jobs_belong_to_tasks() -> None:
    task_ids = set(models.JediTasks.objects.values_list("jeditaskid", flat=True))
    assert set(models.JobsArchived4.objects.values_list("jeditaskid", flat=True).distinct()) <= task_ids
    assert models.JediDatasets.objects.values("jeditaskid").annotate(n=Count("datasetid")).filter(n=2).exists()


@pytest.mark.no_db
def test_the_generator_is_deterministic() -> None:
    now = datetime(2026, 11, 20, 12, 0)

    def generate() -> list[Any]:
        data, queues, tasks, rnd = demodata.generate_static(5, now, 500, 3)
        jobs = list(demodata.generate_jobs(rnd, queues, tasks, 500, 3, now, 3))
        return [data.rows, jobs]

    first, second = generate(), generate()
    assert first == second
    data, queues, tasks, rnd = demodata.generate_static(6, now, 500, 3)
    assert [data.rows, list(demodata.generate_jobs(rnd, queues, tasks, 500, 3, now, 3))] != first
    assert random.Random(5).random() == random.Random(5).random()


@pytest.mark.no_db
def test_now_is_utc() -> None:
    assert datetime.now(UTC).tzinfo is UTC
