"""The all-jobs reader: across the tables, de-duplicated, within the window."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from pandjango.pandadb import models
from pandjango.pandadb.jobs import Window, all_jobs, find_jobs, tables_for


def _window(hours: float) -> Window:
    now = timezone.now()
    return Window(now - timedelta(hours=hours), now)


def test_it_reads_every_live_table_and_says_where_each_row_came_from() -> None:
    rows = all_jobs(None, _window(24), fields=["pandaid", "jobstatus"], limit=10000).rows
    assert {"defined", "active", "archived"} <= {r["table"] for r in rows}
    for row in rows[:50]:
        model = models.JOB_MODELS[row["table"]]
        assert model.objects.filter(pandaid=row["pandaid"], jobstatus=row["jobstatus"]).exists()


def test_it_keeps_the_newest_row_of_a_job_seen_in_two_tables() -> None:
    job = models.JobsArchived4.objects.filter(modificationtime__gte=timezone.now() - timedelta(hours=6)).order_by("-modificationtime").first()
    assert job is not None
    older = models.JobsActive4(**{f.attname: getattr(job, f.attname) for f in models.JobsActive4._meta.concrete_fields})
    older.jobstatus = "transferring"
    older.modificationtime = job.modificationtime - timedelta(minutes=5)
    older.save(force_insert=True)
    rows = all_jobs(Q(pandaid=job.pandaid), _window(12), fields=["pandaid", "jobstatus"]).rows
    assert rows == [{"pandaid": job.pandaid, "jobstatus": job.jobstatus, "table": "archived"}]
    assert find_jobs([job.pandaid], ["jobstatus"])[job.pandaid]["table"] == "archived"


def test_it_respects_the_window() -> None:
    window = _window(2)
    rows = all_jobs(None, window, fields=["pandaid", "modificationtime"], limit=10000).rows
    assert rows, "the seed has jobs in the last 2 hours"
    assert all(window.start <= r["modificationtime"] < window.end for r in rows)
    expected = sum(m.objects.filter(modificationtime__gte=window.start, modificationtime__lt=window.end).count() for m in models.JOB_MODELS.values())
    assert len(rows) == expected


def test_it_reads_the_archive_only_when_the_window_reaches_past_the_retention() -> None:
    assert "archive" not in tables_for(_window(24))
    assert "archive" in tables_for(_window(24 * 4))
    rows = all_jobs(None, _window(24 * 4), fields=["pandaid"], tables=["archive"], limit=5).rows
    assert len(rows) == 5 and {r["table"] for r in rows} == {"archive"}


def test_limit_and_truncated() -> None:
    result = all_jobs(None, _window(24), fields=["pandaid", "modificationtime"], limit=7)
    assert len(result.rows) == 7 and result.truncated
    times = [r["modificationtime"] for r in result.rows]
    assert times == sorted(times, reverse=True)


def test_find_jobs_leaves_out_ids_found_nowhere() -> None:
    assert find_jobs([1, 2]) == {}


def test_find_jobs_without_fields_gives_every_column() -> None:
    job = models.JobsArchived4.objects.order_by("pandaid").first()
    assert job is not None
    row = find_jobs([job.pandaid])[job.pandaid]
    assert (row["jobstatus"], row["computingsite"], row["table"]) == (job.jobstatus, job.computingsite, "archived")
