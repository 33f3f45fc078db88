"""`manage.py pandadb multiply`: the seeded jobs and workers copied in SQL (the copies are
made in the test's transaction, rolled back after it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min

from pandjango.pandadb import models, multiply, schema


def _jobs() -> dict[str, int]:
    return {schema.table_of(m).upper(): m._default_manager.count() for m in multiply.COPIED}


def test_each_table_ends_with_times_its_rows() -> None:
    before = _jobs()
    added = multiply.add_copies(3, multiply.steps_for(60))
    assert added == {table: 2 * n for table, n in before.items()}
    assert _jobs() == {table: 3 * n for table, n in before.items()}


def test_the_copies_pandaids_and_workerids_are_new() -> None:
    def jobs() -> set[int]:  # a job may be in two tables (JOBSARCHIVED4 and the archive)
        return {p for m in models.JOB_MODELS.values() for p in m._default_manager.values_list("pandaid", flat=True)}

    before = jobs()
    steps = multiply.steps_for(60)
    multiply.add_copies(3, steps)
    assert len(jobs()) == 3 * len(before)
    twice = models.HarvesterWorkers.objects.values("harvesterid", "workerid").annotate(n=Count("*")).filter(n__gt=1)
    assert not twice.exists()
    assert steps.pandaid > 1 and steps.workerid > 1


def test_a_copied_job_keeps_its_columns_and_moves_its_times_earlier() -> None:
    steps = multiply.steps_for(60)
    original = models.JobsArchived4.objects.filter(starttime__year__gt=1970).order_by("pandaid").first()
    assert original is not None
    multiply.add_copies(3, steps)
    copy = models.JobsArchived4.objects.get(pandaid=original.pandaid + 2 * steps.pandaid)
    assert copy.modificationtime == original.modificationtime - timedelta(seconds=120)
    assert copy.starttime == original.starttime - timedelta(seconds=120)
    assert (copy.jobstatus, copy.computingsite, copy.jeditaskid, copy.piloterrorcode) == (
        original.jobstatus, original.computingsite, original.jeditaskid, original.piloterrorcode,
    )


def test_a_time_that_is_not_set_stays_not_set() -> None:
    unset = models.JobsActive4.objects.filter(endtime__year=1970).order_by("pandaid").first()
    assert unset is not None
    steps = multiply.steps_for(600)
    multiply.add_copies(2, steps)
    assert models.JobsActive4.objects.get(pandaid=unset.pandaid + steps.pandaid).endtime == unset.endtime


def test_a_copied_relation_joins_the_copied_job_to_the_copied_worker() -> None:
    relation = models.HarvesterRelJobsWorkers.objects.order_by("pandaid").first()
    assert relation is not None
    steps = multiply.steps_for(60)
    multiply.add_copies(2, steps)
    copied = models.HarvesterRelJobsWorkers.objects.get(pandaid=relation.pandaid + steps.pandaid)
    assert copied.workerid == relation.workerid + steps.workerid
    assert models.HarvesterWorkers.objects.filter(harvesterid=copied.harvesterid, workerid=copied.workerid).exists()


def test_the_copies_are_made_in_chunks_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    span = models.JobsArchived4.objects.aggregate(low=Min("pandaid"), high=Max("pandaid"))
    monkeypatch.setattr(multiply, "CHUNK", max(1, (span["high"] - span["low"]) // 7))
    before = _jobs()
    multiply.add_copies(2, multiply.steps_for(0))
    assert _jobs() == {table: 2 * n for table, n in before.items()}


def test_multiply_refuses_a_database_not_marked_ours(pandjango_config: Any) -> None:
    pandjango_config("databases.panda.ours", False)
    with pytest.raises(schema.NotOursError):
        multiply.multiply(2, 60)


@pytest.mark.parametrize("args", [["--times", "1"], ["--times", "3", "--shift-seconds", "-1"]])
def test_the_command_refuses_bad_arguments(args: list[str]) -> None:
    with pytest.raises(CommandError, match="--times must be 2 or more"):
        call_command("pandadb", "multiply", *args)


def test_copy_from_needs_mariadb(vendor: str) -> None:
    if vendor == "mysql":
        with pytest.raises(ValueError, match="needs MariaDB"):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(multiply.connections["panda"], "vendor", "sqlite")
                multiply.copy_base("elsewhere")
    else:
        with pytest.raises(CommandError, match="--copy-from needs MariaDB"):
            call_command("pandadb", "multiply", "--times", "2", "--copy-from", "elsewhere")


@pytest.mark.parametrize("model", [models.HarvesterWorkers, models.HarvesterRelJobsWorkers, models.JobsArchived4], ids=lambda m: m.__name__)
def test_the_chunks_cover_each_row_once_and_start_with_the_primary_key(model: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiply, "CHUNK", 500)
    chunks = multiply._chunks(model)
    assert len(chunks) > 1
    assert sum(model._default_manager.filter(**chunk).count() for chunk in chunks) == model._default_manager.count()
    first = "pandaid__gte" if model is models.JobsArchived4 else "harvesterid"
    assert all(next(iter(chunk)) == first for chunk in chunks)
