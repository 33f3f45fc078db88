"""Answers from rollups are the answers read directly: the same request gives the same `data`
either way (jobs summary, stats matrix, facets, errors summary), also for a job held by two
job tables and for jobs that move between tables between two refresher runs; and
meta.source says which. Requests the rollups cannot answer exactly are read directly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.models import JOB_MODELS
from pandjango.rollups import reading
from pandjango.rollups.models import JOBS, RollupState
from tests.pandjango.rollups_helpers import NEW_PANDAID, a_job, move_job, refreshed, write_job

SUMMARY = "/api/production/jobs/summary/"
MATRIX = "/api/stats/jobs/"
FACETS = "/api/production/jobs/facets/"
ERRORS = "/api/production/errors/"

# Requests the rollups answer: every rolled-up grouping, plain filters, both rollup tables.
CASES = [
    (SUMMARY, {"groupby": "jobstatus"}),
    (SUMMARY, {"groupby": "computingsite,jobstatus", "cloud": "US|DE|FR"}),
    (SUMMARY, {"groupby": "cloud,prodsourcelabel", "jobstatus": "!failed|cancelled", "jobtype": "production|analysis"}),
    (SUMMARY, {"groupby": "jeditaskid,produsername"}),
    (SUMMARY, {"groupby": "processingtype", "piloterrorcode": "!0"}),
    (MATRIX, {}),
    (MATRIX, {"rows": "computingsite", "cols": "prodsourcelabel", "jobstatus": "finished|running|activated"}),
    (MATRIX, {"rows": "gshare", "cols": "resource_type", "limit": "5"}),
    (FACETS, {"fields": "jobstatus,computingsite,cloud,prodsourcelabel"}),
    (ERRORS, {}),
    (ERRORS, {"cloud": "!US"}),
]


@pytest.fixture
def window() -> dict[str, str]:
    """30 hours ending a minute from now, cut mid-hour at both ends: whole hours from the
    rollups, the rest read directly."""
    end = timezone.now() + timedelta(minutes=1)
    return {"date_from": iso(end - timedelta(hours=30, minutes=17)), "date_to": iso(end)}


@pytest.fixture
def same_either_way(fetch: Callable[..., dict[str, Any]], window: dict[str, str]) -> Iterator[Callable[[str, dict[str, str]], dict[str, Any]]]:
    def check(url: str, params: dict[str, str]) -> dict[str, Any]:
        rolled = fetch(url, **window, **params)
        direct = fetch(url, rollups=False, **window, **params)
        assert rolled["meta"]["source"] == "rollup", rolled["meta"]
        assert direct["meta"]["source"] == "direct"
        assert rolled["data"] == direct["data"]
        return rolled

    yield check


@pytest.mark.parametrize(("url", "params"), CASES)
def test_an_answer_from_rollups_is_the_direct_answer(same_either_way: Callable[..., dict[str, Any]], url: str, params: dict[str, str]) -> None:
    refreshed(backfill=True)
    answer = same_either_way(url, params)
    assert answer["data"], "an empty answer would prove nothing"
    mark = RollupState.objects.get(name=JOBS).mark
    assert mark is not None and answer["meta"]["fresh_as_of"] == iso(mark)


def test_a_job_in_two_job_tables_is_counted_once_either_way(same_either_way: Callable[..., dict[str, Any]]) -> None:
    hour_ago = timezone.now() - timedelta(hours=3)
    finished = a_job(pandaid=NEW_PANDAID, jobstatus="finished", modificationtime=hour_ago, computingsite="TWO_TABLES")
    write_job("archived", finished)
    write_job("active", {**finished, "jobstatus": "running", "modificationtime": hour_ago - timedelta(minutes=5)})
    write_job("archive", {**finished, "statechangetime": hour_ago})
    refreshed(backfill=True)
    answer = same_either_way(SUMMARY, {"groupby": "computingsite,jobstatus", "computingsite": "TWO_TABLES"})
    assert answer["data"] == [{"computingsite": "TWO_TABLES", "jobstatus": "finished", "count": 1}]


def test_jobs_moving_between_tables_between_two_runs_are_counted_alike(same_either_way: Callable[..., dict[str, Any]]) -> None:
    now = timezone.now()
    for i, table in enumerate(("defined", "waiting", "active")):
        write_job(table, a_job(pandaid=NEW_PANDAID + i, jobstatus="defined", modificationtime=now - timedelta(hours=2), computingsite="MOVING"))
    refreshed(backfill=True)
    same_either_way(SUMMARY, {"groupby": "jobstatus", "computingsite": "MOVING"})
    # PanDA moves them on, setting MODIFICATIONTIME, and the refresher has not run since.
    move_job(NEW_PANDAID, "defined", "active", jobstatus="running", modificationtime=now - timedelta(seconds=40))
    move_job(NEW_PANDAID + 1, "waiting", "archived", jobstatus="failed", piloterrorcode=1099, modificationtime=now - timedelta(seconds=30))
    move_job(NEW_PANDAID + 2, "active", "archived", jobstatus="finished", modificationtime=now - timedelta(seconds=20))
    between = same_either_way(SUMMARY, {"groupby": "jobstatus", "computingsite": "MOVING"})
    assert {r["jobstatus"]: r["count"] for r in between["data"]} == {"running": 1, "failed": 1, "finished": 1}
    same_either_way(ERRORS, {"computingsite": "MOVING"})
    refreshed()
    after = same_either_way(SUMMARY, {"groupby": "jobstatus", "computingsite": "MOVING"})
    assert after["data"] == between["data"]
    same_either_way(MATRIX, {"rows": "computingsite", "cols": "jobstatus", "computingsite": "MOVING"})


def test_a_job_deleted_from_jobsarchived4_is_forgotten_at_the_next_run(same_either_way: Callable[..., dict[str, Any]]) -> None:
    refreshed(backfill=True)
    old = JOB_MODELS["archived"]._default_manager.filter(modificationtime__lt=timezone.now() - timedelta(hours=5)).order_by("-modificationtime")
    site = old.values_list("computingsite", flat=True).first()
    old.filter(computingsite=site).first().delete()  # type: ignore[union-attr]
    refreshed()
    same_either_way(SUMMARY, {"groupby": "jobstatus", "computingsite": site})


# ---------------------------------------------------------------------------- read directly


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (SUMMARY, {"computingsite": "ANALY_*"}),  # a wildcard: LIKE may differ between our database and PanDA's
        (SUMMARY, {"transformation": "Sim_tf.py"}),  # not a rolled-up column
        (SUMMARY, {"table": "archived"}),
        (SUMMARY, {"days": "4"}),  # reaches the archive
        (FACETS, {}),  # transformation is among the default facets
        ("/api/stats/timeseries/", {"metric": "jobs_finished"}),  # by ENDTIME, not rolled up
    ],
)
def test_what_rollups_cannot_answer_exactly_is_read_directly(fetch: Callable[..., dict[str, Any]], url: str, params: dict[str, str]) -> None:
    refreshed(backfill=True)
    answer = fetch(url, **params)
    assert answer["meta"]["source"] == "direct"


def test_stale_or_missing_rollups_are_not_used(fetch: Callable[..., dict[str, Any]], pandjango_config: Callable[[str, Any], None]) -> None:
    assert fetch(SUMMARY)["meta"]["source"] == "direct"  # never refreshed
    refreshed()
    assert fetch(SUMMARY)["meta"]["source"] == "rollup"
    RollupState.objects.filter(name=JOBS).update(mark=timezone.now() - timedelta(hours=2))
    pandjango_config("rollups.max_lag_seconds", 3600)
    assert fetch(SUMMARY)["meta"]["source"] == "direct"


def test_rollups_that_cannot_be_read_leave_the_answer_to_the_direct_path(
    fetch: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed()

    def unreachable() -> None:
        raise OperationalError("our database is down")

    monkeypatch.setattr(reading, "fresh_as_of", unreachable)
    answer = fetch(SUMMARY)
    assert answer["meta"]["source"] == "direct" and answer["data"]


def test_a_window_shorter_than_the_trusted_hours_is_read_directly(fetch: Callable[..., dict[str, Any]]) -> None:
    refreshed()
    assert fetch(SUMMARY, hours=1)["meta"]["source"] == "direct"
