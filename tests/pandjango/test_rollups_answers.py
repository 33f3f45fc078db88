"""Answers from rollups are the answers read directly: the same request gives the same `data`
either way (jobs summary, stats matrix, facets, errors summary) after a refresher run, also
for a job held by two job tables, for active jobs in the window's cut hours, and for jobs
that move between tables between two runs (the answer with the active jobs' snapshot is
the answer as of the run until the next one; with the snapshot stale, the active tables are
read live and the answer is the direct one); and meta.source and meta.active_source say
which. Requests the rollups cannot answer exactly are read directly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.models import JOB_MODELS
from pandjango.rollups import reading
from pandjango.rollups.models import ACTIVE, JOBS, RollupState
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
def same_either_way(fetch: Callable[..., dict[str, Any]], window: dict[str, str]) -> Iterator[Callable[..., dict[str, Any]]]:
    """check(url, params, active="snapshot"|"live", window=...): the answer from rollups,
    after checking that it is the direct answer and how it counted the active tables."""

    def check(url: str, params: dict[str, str], active: str = "snapshot", span: dict[str, str] | None = None) -> dict[str, Any]:
        rolled = fetch(url, **(span or window), **params)
        direct = fetch(url, rollups=False, **(span or window), **params)
        assert rolled["meta"]["source"] == "rollup", rolled["meta"]
        assert rolled["meta"].get("active_source", "none (failed jobs only)") == (active if url != ERRORS else "none (failed jobs only)")
        assert direct["meta"]["source"] == "direct" and "active_source" not in direct["meta"]
        assert rolled["data"] == direct["data"]
        return rolled

    yield check


def snapshot_aged(seconds: float) -> None:
    """The last run (rollups and snapshot alike) made `seconds` older."""
    for name in (JOBS, ACTIVE):
        state = RollupState.objects.get(name=name)
        assert state.mark is not None
        RollupState.objects.filter(name=name).update(mark=state.mark - timedelta(seconds=seconds))


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


def test_jobs_moving_between_tables_between_two_runs_are_counted_alike(
    same_either_way: Callable[..., dict[str, Any]], fetch: Callable[..., dict[str, Any]], window: dict[str, str]
) -> None:
    for i, table in enumerate(("defined", "waiting", "active")):
        job = a_job(pandaid=NEW_PANDAID + i, jobstatus="defined", modificationtime=timezone.now() - timedelta(hours=2), computingsite="MOVING")
        write_job(table, job)
    refreshed(backfill=True)
    by_state = {"groupby": "jobstatus", "computingsite": "MOVING"}
    before = same_either_way(SUMMARY, by_state)
    assert before["data"] == [{"jobstatus": "defined", "count": 3}]
    errors_before = same_either_way(ERRORS, {"computingsite": "MOVING"})
    # PanDA moves them on after the run, setting MODIFICATIONTIME, and writes a new one.
    now = timezone.now()
    move_job(NEW_PANDAID, "defined", "active", jobstatus="running", modificationtime=now)
    move_job(NEW_PANDAID + 1, "waiting", "archived", jobstatus="failed", piloterrorcode=1099, modificationtime=now)
    move_job(NEW_PANDAID + 2, "active", "archived", jobstatus="finished", modificationtime=now)
    write_job("defined", a_job(pandaid=NEW_PANDAID + 3, jobstatus="defined", modificationtime=now, computingsite="MOVING"))
    moved = {"running": 1, "failed": 1, "finished": 1, "defined": 1}
    # Until the next run, the snapshot's answer is the answer as of the run: each job once,
    # where it was then (the two archived since are not counted twice).
    between = fetch(SUMMARY, **window, **by_state)
    assert between["meta"]["active_source"] == "snapshot" and between["data"] == before["data"]
    direct = fetch(SUMMARY, rollups=False, **window, **by_state)
    assert {r["jobstatus"]: r["count"] for r in direct["data"]} == moved
    # The errors summary too (JOBSARCHIVED4 after the trusted hours from the exact rollup, as
    # of the snapshot's run): the failure since the run is in the direct answer only.
    errors_between = fetch(ERRORS, **window, computingsite="MOVING")
    assert errors_between["meta"]["source"] == "rollup" and errors_between["data"] == errors_before["data"]
    assert fetch(ERRORS, rollups=False, **window, computingsite="MOVING")["data"] != errors_before["data"]
    # With the snapshot too old to be used, the active tables are read live: the direct answer.
    snapshot_aged(300)
    assert same_either_way(SUMMARY, by_state, active="live")["data"] == direct["data"]
    same_either_way(ERRORS, {"computingsite": "MOVING"})
    same_either_way(MATRIX, {"rows": "computingsite", "cols": "jobstatus", "computingsite": "MOVING"}, active="live")
    # The next run brings the snapshot up to date: the direct answer again.
    refreshed()
    after = same_either_way(SUMMARY, by_state)
    assert after["data"] == direct["data"]
    same_either_way(ERRORS, {"computingsite": "MOVING"})
    same_either_way(MATRIX, {"rows": "computingsite", "cols": "jobstatus", "computingsite": "MOVING"})
    same_either_way(FACETS, {"fields": "jobstatus,cloud", "computingsite": "MOVING"})


def test_jobs_in_the_cut_hours_of_a_window_and_after_the_trusted_hours_are_counted_alike(
    same_either_way: Callable[..., dict[str, Any]], window: dict[str, str]
) -> None:
    """Active jobs in the window's cut first hour, and in its cut last one when it ends before
    the snapshot, and just outside them (the snapshot's exact table); a job archived minutes
    before the run (the exact rollup, after the trusted hours)."""
    start = datetime.fromisoformat(window["date_from"])
    end = timezone.now() - timedelta(hours=3, minutes=20)  # a window ending before the run, mid-hour
    if start.minute == 0 and start.second == 0:
        start += timedelta(minutes=7)
    earlier = {"date_from": iso(start), "date_to": iso(end)}
    times = {
        "in the cut first hour": start + timedelta(seconds=1),
        "before the window": start - timedelta(seconds=1),
        "in the cut last hour": end - timedelta(seconds=1),
        "after the window": end + timedelta(seconds=1),
    }
    for i, (site, moment) in enumerate(times.items()):
        for j, table in enumerate(("defined", "waiting", "active")):
            job = a_job("active", pandaid=NEW_PANDAID + 10 * i + j, modificationtime=moment, computingsite=site, jobstatus="running")
            write_job(table, job)
    write_job("archived", a_job(pandaid=NEW_PANDAID + 50, modificationtime=timezone.now() - timedelta(minutes=2), computingsite="archived lately"))
    refreshed(backfill=True)
    by_site = {"groupby": "computingsite,jobstatus", "computingsite": "|".join([*times, "archived lately"])}
    whole = same_either_way(SUMMARY, by_site, span={**earlier, "date_to": window["date_to"]})
    assert {r["computingsite"]: r["count"] for r in whole["data"]} == {
        "in the cut first hour": 3, "in the cut last hour": 3, "after the window": 3, "archived lately": 1
    }
    ending_earlier = same_either_way(SUMMARY, by_site, span=earlier)
    assert {r["computingsite"] for r in ending_earlier["data"]} == {"in the cut first hour", "in the cut last hour"}


@pytest.mark.parametrize("minute", [10, 50])
def test_the_cut_first_hour_is_counted_alike_early_or_late_in_it(same_either_way: Callable[..., dict[str, Any]], minute: int) -> None:
    """A window starting early in an hour has JOBSARCHIVED4's part of that hour counted as the
    hour's rollup less the jobs before the start (but where the highest PandaIDs are wanted:
    the errors summary); one starting late in it, read over the rest of the hour."""
    end = timezone.now() + timedelta(minutes=1)
    start = (end - timedelta(hours=20)).replace(minute=minute, second=30, microsecond=0)
    span = {"date_from": iso(start), "date_to": iso(end)}
    edges = {"EDGE_BEFORE": start - timedelta(seconds=1), "EDGE_AT": start, "EDGE_AFTER": start + timedelta(seconds=1)}
    for i, (site, moment) in enumerate(edges.items()):
        write_job("archived", a_job(pandaid=NEW_PANDAID + i, modificationtime=moment, computingsite=site, jobstatus="failed", piloterrorcode=1099))
    refreshed(backfill=True)
    at_the_edges = same_either_way(SUMMARY, {"groupby": "computingsite", "computingsite": "|".join(edges)}, span=span)
    assert at_the_edges["data"] == [{"computingsite": "EDGE_AFTER", "count": 1}, {"computingsite": "EDGE_AT", "count": 1}]
    for url, params in CASES:
        answer = same_either_way(url, params, span=span)
        assert answer["data"]


def test_a_stale_snapshot_is_not_used_and_meta_says_so(
    fetch: Callable[..., dict[str, Any]], same_either_way: Callable[..., dict[str, Any]], pandjango_config: Callable[[str, Any], None]
) -> None:
    refreshed(backfill=True)
    assert fetch(SUMMARY)["meta"]["active_source"] == "snapshot"
    write_job("active", a_job("active", pandaid=NEW_PANDAID, modificationtime=timezone.now(), computingsite="SINCE_THE_RUN", jobstatus="running"))
    since = {"groupby": "jobstatus", "computingsite": "SINCE_THE_RUN"}
    assert fetch(SUMMARY, **since)["data"] == []  # as of the run
    # Older than rollups.active_max_lag_seconds, though the rollups are still fresh.
    pandjango_config("rollups.active_max_lag_seconds", 120)
    snapshot_aged(150)
    live = same_either_way(SUMMARY, since, active="live")
    assert live["data"] == [{"jobstatus": "running", "count": 1}]
    pandjango_config("rollups.active_max_lag_seconds", 200)
    again = fetch(SUMMARY, **since)
    assert again["meta"]["active_source"] == "snapshot" and again["data"] == []
    # A run that took no snapshot (a refresher without it) leaves the older snapshot unused.
    RollupState.objects.filter(name=JOBS).update(mark=timezone.now())
    assert same_either_way(SUMMARY, since, active="live")["data"] == live["data"]
    assert "active_source" not in fetch(ERRORS)["meta"]  # failed jobs only: no active table read


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
        ("/api/stats/timeseries/", {"metric": "jobs_created"}),  # by CREATIONTIME, in every job table: not rolled up
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

    monkeypatch.setattr(reading, "marks", unreachable)
    answer = fetch(SUMMARY)
    assert answer["meta"]["source"] == "direct" and answer["data"]


def test_a_window_shorter_than_the_trusted_hours_is_read_directly(fetch: Callable[..., dict[str, Any]]) -> None:
    refreshed()
    assert fetch(SUMMARY, hours=1)["meta"]["source"] == "direct"
