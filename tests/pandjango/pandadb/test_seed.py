from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from pandjango.pandadb import errorcodes, models
from pandjango.pandadb.demodata import catalogue
from pandjango.pandadb.demodata import queues as demo_queues
from pandjango.pandadb.demodata.jobs import generate_jobs
from pandjango.pandadb.demodata.static import generate_static
from pandjango.pandadb.jobs import FINAL_STATES
from pandjango.pandadb.queues import parse_document
from pandjango.pandadb.schema import table_of
from tests.conftest import SEED

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


def test_the_seed_fills_every_table(panda_data: dict[str, Any]) -> None:
    for model in models.ALL_MODELS:
        table = table_of(model).upper()
        if table != "JOBSWAITING4":  # no longer written by PanDA
            assert panda_data[table] > 0, table
            assert model._default_manager.exists(), table


def test_queues_are_documents_with_the_keys_cric_gives(vendor: str) -> None:
    documents = {q: parse_document(q, data) for q, data in models.SchedConfigJson.objects.values_list("panda_queue", "data")}
    good = [d for d in documents.values() if d["document_error"] is None and d["nickname"] != demo_queues.SPARSE_QUEUE]
    assert len(good) == len(demo_queues.make_queues(random.Random(SEED))) > 100
    # PostgreSQL's json column refuses a broken document; elsewhere the seed stores one.
    broken = {n for n, d in documents.items() if d["document_error"]}
    assert broken == (set() if vendor == "postgresql" else {demo_queues.BROKEN_QUEUE})
    for doc in good:
        assert {"cloud", "status", "siteid", "atlas_site", "tier", "corecount", "harvester", "queues"} <= set(doc)
        assert doc["siteid"] == doc["nickname"]
    assert {d["cloud"] for d in good} == set(catalogue.CLOUD_NAMES)
    assert {"online", "test"} <= {d["status"] for d in good}
    assert documents[demo_queues.SPARSE_QUEUE]["corecount"] == "eight"


def test_one_harvester_instance_has_stopped_reporting() -> None:
    now = timezone.now()
    stale = models.HarvesterInstances.objects.filter(lastupdate__lt=now - timedelta(days=1))
    assert list(stale.values_list("harvester_id", flat=True)) == [list(catalogue.HARVESTER_INSTANCES)[-1]]
    assert models.HarvesterInstances.objects.filter(lastupdate__gte=now - timedelta(minutes=10)).count() == len(catalogue.HARVESTER_INSTANCES) - 1


def test_workers_are_in_their_real_statuses() -> None:
    statuses = set(models.HarvesterWorkers.objects.values_list("status", flat=True).distinct())
    assert {"running", "finished", "failed"} <= statuses
    assert len(statuses & {"submitted", "idle", "missed", "cancelled"}) >= 2
    assert statuses <= {"submitted", "ready", "running", "idle", "finished", "failed", "cancelled", "missed"}
    assert set(models.HarvesterWorkers.objects.values_list("pilotstatus", flat=True).distinct()) <= {"started", "finished", None}


def test_the_worker_stats_count_the_workers_not_yet_ended() -> None:
    counted = models.HarvesterWorkerStats.objects.aggregate(n=Sum("n_workers"))["n"]
    live = models.HarvesterWorkers.objects.filter(status__in=["submitted", "ready", "running", "idle"]).count()
    assert counted == live > 0


@pytest.mark.parametrize("model", [models.JobsActive4, models.JobsArchived4, models.JobsArchived], ids=lambda m: m.__name__)
def test_jobs_name_the_worker_that_ran_them_as_panda_does(model: Any) -> None:
    jobs = {j["pandaid"]: j for j in model.objects.exclude(schedulerid=None).values("pandaid", "schedulerid", "pilotid", "batchid", "computingsite")[:200]}
    assert jobs
    relations = models.HarvesterRelJobsWorkers.objects.filter(pandaid__in=jobs).values("pandaid", "harvesterid", "workerid")
    assert {r["pandaid"] for r in relations} == set(jobs)
    for relation in relations:
        job = jobs[relation["pandaid"]]
        worker = models.HarvesterWorkers.objects.get(harvesterid=relation["harvesterid"], workerid=relation["workerid"])
        assert job["schedulerid"] == f"harvester-{worker.harvesterid}"
        assert job["batchid"] == worker.batchid
        assert job["computingsite"] == worker.computingsite
        log_url, *_, pilot_version = job["pilotid"].split("|")
        assert log_url == worker.stdout and pilot_version == catalogue.PILOT_VERSION


def test_a_few_jobs_are_in_both_jobsarchived4_and_the_archive() -> None:
    in_both = set(models.JobsArchived4.objects.values_list("pandaid", flat=True)) & set(models.JobsArchived.objects.values_list("pandaid", flat=True))
    assert 0 < len(in_both) < models.JobsArchived4.objects.count() / 2


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


def test_jobs_belong_to_tasks() -> None:
    task_ids = set(models.JediTasks.objects.values_list("jeditaskid", flat=True))
    assert set(models.JobsArchived4.objects.values_list("jeditaskid", flat=True).distinct()) <= task_ids
    assert models.JediDatasets.objects.values("jeditaskid").annotate(n=Count("datasetid")).filter(n=2).exists()


@pytest.mark.no_db
def test_the_generator_is_deterministic() -> None:
    now = datetime(2026, 11, 20, 12, 0)

    def generate() -> list[Any]:
        data, queues, tasks, rnd = generate_static(5, now, 500, 3)
        jobs = list(generate_jobs(rnd, queues, tasks, 500, 3, now, 3))
        return [data.rows, jobs]

    first, second = generate(), generate()
    assert first == second
    data, queues, tasks, rnd = generate_static(6, now, 500, 3)
    assert [data.rows, list(generate_jobs(rnd, queues, tasks, 500, 3, now, 3))] != first
    assert random.Random(5).random() == random.Random(5).random()


@pytest.mark.no_db
def test_now_is_utc() -> None:
    assert datetime.now(UTC).tzinfo is UTC


def test_every_job_has_its_files_where_its_row_is() -> None:
    for jobs, files in ((models.JobsArchived4, models.FilesTable4), (models.JobsArchived, models.FilesTableArch)):
        with_files = set(files.objects.values_list("pandaid", flat=True))
        assert set(jobs.objects.values_list("pandaid", flat=True)) <= with_files
    kinds = models.FilesTable4.objects.values("pandaid").annotate(n=Count("type", distinct=True))
    assert {row["n"] for row in kinds} == {3}  # input, output and log
    one = models.FilesTable4.objects.filter(type="log").first()
    assert one is not None and one.guid and one.scope and one.fsize > 0 and one.lfn.endswith(".log.tgz")


def test_every_task_has_its_parameters_and_finished_analysis_jobs_their_metadata() -> None:
    assert models.JediTaskParams.objects.count() == models.JediTasks.objects.count()
    params = models.JediTaskParams.objects.first()
    assert params is not None and json.loads(params.taskparams)["taskName"]
    with_metadata = models.MetaTable.objects.values_list("pandaid", flat=True)
    states = set(models.JobsArchived4.objects.filter(pandaid__in=with_metadata).values_list("jobstatus", flat=True))
    assert states == {"finished"}
