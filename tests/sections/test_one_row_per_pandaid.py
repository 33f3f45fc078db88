"""A job that sits in two job tables (JOBSARCHIVED4 and the archive during PanDA's daily copy,
or a live table while it moves) counts once in every answer, by the ORM and by the raw SQL
registry alike: the list, the summary, the facets, the errors, the stats matrix, the time
series, the per-queue efficiency and the batch status agree on one row per PandaID."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pandjango.pandadb.jobs import PRECEDENCE
from pandjango.pandadb.models import JOB_MODELS, JobsActive4, JobsArchived, JobsArchived4
from pandjango.rawsql import fromrequest
from tests.api_helpers import FixedWindow


@pytest.fixture(params=["registry", "orm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(fromrequest, "USE_REGISTRY", request.param == "registry")
    yield request.param


@pytest.fixture
def window() -> FixedWindow:
    """Five days: past JOBSARCHIVED4's three, so the archive is read too."""
    end = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    return FixedWindow(end - timedelta(days=5), end)


@pytest.fixture
def moving_job(window: FixedWindow) -> JobsArchived4:
    """A job of JOBSARCHIVED4 also seen, older, in JOBSACTIVE4: caught while it moves."""
    job = JobsArchived4.objects.filter(modificationtime__gte=window.end - timedelta(hours=6), jobstatus="failed").order_by("pandaid").first()
    assert job is not None
    copy = JobsActive4(**{f.attname: getattr(job, f.attname) for f in JobsActive4._meta.concrete_fields})
    copy.jobstatus = "transferring"
    copy.modificationtime = job.modificationtime - timedelta(minutes=3)
    copy.save(force_insert=True)
    return job


def rows_in(window: FixedWindow) -> dict[int, dict[str, Any]]:
    """Every job in the window, one row per PandaID, chosen by hand: the table first in
    PRECEDENCE holds the row that counts."""
    found: dict[int, dict[str, Any]] = {}
    for table in reversed(PRECEDENCE):
        model = JOB_MODELS[table]
        for row in model.objects.filter(modificationtime__gte=window.start, modificationtime__lt=window.end).values(
            "pandaid", "jobstatus", "computingsite", "cloud", "piloterrorcode", "endtime"
        ):
            found[row["pandaid"]] = {**row, "table": table}
    return found


def test_the_seed_has_jobs_in_both_jobsarchived4_and_the_archive(window: FixedWindow) -> None:
    archived4 = set(JobsArchived4.objects.filter(modificationtime__gte=window.start).values_list("pandaid", flat=True))
    archive = set(JobsArchived.objects.values_list("pandaid", flat=True))
    assert archived4 & archive


def test_the_list_shows_each_job_once(get_json: Callable[..., Any], window: FixedWindow, moving_job: JobsArchived4) -> None:
    expected = rows_in(window)
    body = get_json("/api/production/jobs/", **window.params, limit=10000, fields="pandaid,jobstatus")
    assert len(body["data"]) == len(expected) and not body["meta"]["truncated"]
    shown = {row["pandaid"]: row for row in body["data"]}
    assert shown[moving_job.pandaid]["jobstatus"] == "failed" and shown[moving_job.pandaid]["table"] == "archived"


def test_the_summary_counts_each_job_once(get_json: Callable[..., Any], window: FixedWindow, moving_job: JobsArchived4, path: str) -> None:
    expected = Counter(row["jobstatus"] for row in rows_in(window).values())
    body = get_json("/api/production/jobs/summary/", **window.params, groupby="jobstatus")
    assert {row["jobstatus"]: row["count"] for row in body["data"]} == dict(expected)


def test_the_facets_count_each_job_once(get_json: Callable[..., Any], window: FixedWindow, moving_job: JobsArchived4) -> None:
    expected = Counter(row["computingsite"] for row in rows_in(window).values())
    body = get_json("/api/production/jobs/facets/", **window.params, fields="computingsite")
    counted = {entry["value"]: entry["count"] for entry in body["data"]["computingsite"]}
    assert counted and all(counted[site] == expected[site] for site in counted)


def test_the_errors_count_each_failed_job_once(get_json: Callable[..., Any], window: FixedWindow, moving_job: JobsArchived4, path: str) -> None:
    failed = [row for row in rows_in(window).values() if row["jobstatus"] == "failed" and row["piloterrorcode"]]
    expected = Counter(row["piloterrorcode"] for row in failed)
    body = get_json("/api/production/errors/", **window.params)
    pilot = {entry["code"]: entry["count"] for entry in body["data"]["by_code"] if entry["component"] == "pilot"}
    assert pilot and all(pilot[code] == expected[code] for code in pilot)


def test_the_stats_matrix_counts_each_job_once(
    get_json: Callable[..., Any], beta_client: Any, window: FixedWindow, moving_job: JobsArchived4, path: str
) -> None:
    expected = Counter(row["cloud"] for row in rows_in(window).values())
    body = get_json("/api/stats/jobs/", client=beta_client, **window.params, rows="cloud", cols="jobstatus")
    assert body["data"]["total"] == sum(expected.values())
    assert dict(zip(body["data"]["rows"], body["data"]["row_totals"], strict=True)) == {k: v for k, v in expected.items() if k in body["data"]["rows"]}


def test_the_time_series_counts_each_finished_job_once(
    get_json: Callable[..., Any], beta_client: Any, window: FixedWindow, path: str
) -> None:
    finished = [
        row for row in rows_in(window).values()
        if row["jobstatus"] == "finished" and row["endtime"] and window.start <= row["endtime"] < window.end and row["table"] in ("archived", "archive")
    ]
    body = get_json("/api/stats/timeseries/", client=beta_client, **window.params, metric="jobs_finished", bin="1h")
    assert sum(body["data"]["series"][0]["values"]) == len(finished)


def test_the_batch_status_names_the_table_that_counts(get_json: Callable[..., Any], window: FixedWindow, moving_job: JobsArchived4) -> None:
    archive = set(JobsArchived.objects.values_list("pandaid", flat=True))
    both = sorted(set(JobsArchived4.objects.values_list("pandaid", flat=True)) & archive)[:5]
    body = get_json("/api/production/jobs/status/", pandaid=",".join(map(str, [*both, moving_job.pandaid])))
    assert {body["data"][str(p)]["table"] for p in [*both, moving_job.pandaid]} == {"archived"}
