"""The demo's data tells one story: nothing has started after the seed's reference time, and
a task that is over has no job still waiting or running."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db.models import Q

from pandjango.pandadb import models
from pandjango.pandadb.demodata.catalogue import FINAL_TASK_STATES
from pandjango.pandadb.jobs import FINAL_STATES

pytestmark = pytest.mark.django_db(databases=["panda"])

WORKER_TIMES = ("submittime", "starttime", "endtime", "pilotstarttime", "pilotendtime", "lastupdate")


@pytest.mark.parametrize("column", WORKER_TIMES)
def test_no_worker_has_a_time_after_the_seeds_now(panda_data: dict[str, Any], seed_now: datetime, column: str) -> None:
    assert models.HarvesterWorkers.objects.exists()
    late = models.HarvesterWorkers.objects.filter(**{f"{column}__gt": seed_now})
    assert list(late.values_list("workerid", column)[:5]) == []


def test_a_worker_without_a_start_is_still_submitted(panda_data: dict[str, Any]) -> None:
    unstarted = models.HarvesterWorkers.objects.filter(starttime__isnull=True)
    assert set(unstarted.values_list("status", flat=True).distinct()) <= {"submitted"}


def test_a_pilot_starts_before_the_job_it_runs(panda_data: dict[str, Any]) -> None:
    relations = list(models.HarvesterRelJobsWorkers.objects.values_list("harvesterid", "workerid", "pandaid")[:300])
    assert relations
    started = {(h, w): s for h, w, s in models.HarvesterWorkers.objects.filter(
        workerid__in=[w for _, w, _ in relations]).values_list("harvesterid", "workerid", "starttime")}
    for harvesterid, workerid, pandaid in relations:
        job = next((m.objects.filter(pandaid=pandaid).values("starttime").first() for m in models.JOB_MODELS.values()
                    if m.objects.filter(pandaid=pandaid).exists()), None)
        assert job is not None
        assert started[(harvesterid, workerid)] < job["starttime"], pandaid


def test_no_job_has_started_after_the_seeds_now(panda_data: dict[str, Any], seed_now: datetime) -> None:
    for model in models.JOB_MODELS.values():
        assert not model.objects.filter(Q(starttime__gt=seed_now) | Q(endtime__gt=seed_now)).exists(), model.__name__


def test_a_task_in_a_final_state_has_no_unfinished_jobs(panda_data: dict[str, Any]) -> None:
    final_tasks = set(models.JediTasks.objects.filter(status__in=FINAL_TASK_STATES).values_list("jeditaskid", flat=True))
    assert final_tasks, "the demo has tasks that are over"
    for model in models.JOB_MODELS.values():
        unfinished = model.objects.filter(jeditaskid__in=final_tasks).exclude(jobstatus__in=FINAL_STATES)
        assert list(unfinished.values_list("pandaid", "jeditaskid", "jobstatus")[:5]) == [], model.__name__


def test_tasks_that_are_not_over_still_have_jobs_running(panda_data: dict[str, Any]) -> None:
    active = models.JobsActive4.objects.filter(jobstatus="running").values_list("jeditaskid", flat=True).distinct()
    statuses = set(models.JediTasks.objects.filter(jeditaskid__in=list(active)).values_list("status", flat=True))
    assert statuses and not statuses & FINAL_TASK_STATES
