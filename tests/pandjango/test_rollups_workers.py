"""The worker rollups: the refresher keeps them equal to HARVESTER_WORKERS counted per hour, and
the autopilot's summaries give the same `data` from them as read directly after a run. Between
two runs an answer with the live workers' snapshot fresh is the answer as of the last run; with
it stale, the live workers are read and the answer is the direct one, also for workers that
start, end or are reported again; meta.source and meta.live_source say which."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.jobs import Window
from pandjango.pandadb.models import HarvesterWorkers
from pandjango.rollups import refresh, workers
from pandjango.rollups.models import ACTIVE, JOBS, LIVE_WORKERS, WORKERS, LiveWorkerCount, RollupState, TaskJobCount, WorkerCount

QUEUES = "/api/autopilot/queues/"
SUBMITHOSTS = "/api/autopilot/submithosts/"
SERVICES = "/api/autopilot/services/"
PILOTTYPES = "/api/autopilot/pilottypes/"
INFO = "/api/autopilot/info/"

CASES = [
    (QUEUES, {}),
    (QUEUES, {"cloud": "US|DE"}),  # a few queues, named to the database
    (SUBMITHOSTS, {}),
    (SERVICES, {}),
    (PILOTTYPES, {}),
    (INFO, {}),
]
NEW_WORKERID = 80_000_000


def settled_total(since: Any) -> int:
    return HarvesterWorkers.objects.filter(lastupdate__gte=since).exclude(status__in=workers.LIVE_STATUSES).count()


def rolled_total() -> int:
    return int(WorkerCount.objects.aggregate(n=Sum("n"))["n"] or 0)


def comparable(url: str, data: Any) -> Any:
    """The answer's data, less what depends on the second it was computed in (an instance's
    seconds since its heartbeat), which is not a count."""
    if url == SERVICES:
        return [{k: v for k, v in row.items() if k != "seconds_since_heartbeat"} for row in data]
    return data


@pytest.fixture
def window() -> dict[str, str]:
    """30 hours ending a minute from now, cut mid-hour at both ends."""
    end = timezone.now() + timedelta(minutes=1)
    return {"date_from": iso(end - timedelta(hours=30, minutes=17)), "date_to": iso(end)}


@pytest.fixture
def same_either_way(fetch: Callable[..., dict[str, Any]], window: dict[str, str]) -> Iterator[Callable[..., dict[str, Any]]]:
    """check(url, params, source="rollup", live="snapshot", span=None): the answer with rollups
    on (read from `source`, its live workers from `live`) has the data of the answer read
    directly, over `span` or the window."""

    def check(url: str, params: dict[str, str], source: str = "rollup", live: str = "snapshot", span: dict[str, str] | None = None) -> dict[str, Any]:
        over = span or window
        rolled = fetch(url, **over, **params)
        direct = fetch(url, rollups=False, **over, **params)
        assert rolled["meta"]["source"] == source, rolled["meta"]
        assert rolled["meta"].get("live_source", "direct") == (live if source == "rollup" else "direct")
        assert direct["meta"]["source"] == "direct" and "live_source" not in direct["meta"]
        assert comparable(url, rolled["data"]) == comparable(url, direct["data"])
        return rolled

    yield check


def a_worker(**columns: Any) -> dict[str, Any]:
    """A copy of a seeded worker's columns, to be changed and written as a new worker."""
    row = HarvesterWorkers.objects.order_by("harvesterid", "workerid").values().first()
    assert row is not None
    return {**row, **columns}


def write_worker(worker: dict[str, Any]) -> None:
    HarvesterWorkers(**worker).save(force_insert=True)


def update_worker(worker: dict[str, Any], **columns: Any) -> None:
    """Changes a worker as PanDA's updateWorkers does: LASTUPDATE set to now with the rest."""
    key = {"harvesterid": worker["harvesterid"], "workerid": worker["workerid"]}
    assert HarvesterWorkers.objects.filter(**key).update(**columns) == 1


def snapshot_aged(seconds: float) -> None:
    """The last worker run (its mark and its snapshot's) made `seconds` older."""
    for name in (WORKERS, LIVE_WORKERS):
        state = RollupState.objects.get(name=name)
        assert state.mark is not None
        RollupState.objects.filter(name=name).update(mark=state.mark - timedelta(seconds=seconds))


def live_read(pandjango_config: Callable[[str, Any], None]) -> None:
    """The live workers' snapshot made stale (older than rollups.active_max_lag_seconds), the
    worker rollups still fresh: answers read the live workers."""
    pandjango_config("rollups.active_max_lag_seconds", 120)
    snapshot_aged(150)


def a_settled_worker(hours_ago: int) -> dict[str, Any]:
    """A seeded worker that ended about `hours_ago` hours ago (in a whole trusted hour)."""
    now = timezone.now()
    found = (
        HarvesterWorkers.objects.filter(lastupdate__lt=now - timedelta(hours=hours_ago), lastupdate__gte=now - timedelta(hours=hours_ago + 1))
        .exclude(status__in=workers.LIVE_STATUSES)
        .values()
        .first()
    )
    assert found is not None
    return dict(found)


# ---------------------------------------------------------------------------- the answers


@pytest.mark.parametrize(("url", "params"), CASES)
def test_an_answer_from_the_worker_rollups_is_the_direct_answer(same_either_way: Callable[..., dict[str, Any]], url: str, params: dict[str, str]) -> None:
    workers.run(backfill=True)
    answer = same_either_way(url, params)
    assert answer["data"], "an empty answer would prove nothing"
    mark = RollupState.objects.get(name=WORKERS).mark
    assert mark is not None and answer["meta"]["fresh_as_of"] == iso(mark)
    assert "active_source" not in answer["meta"]  # the active jobs' snapshot is the job rollups'
    assert RollupState.objects.get(name=LIVE_WORKERS).mark == mark


@pytest.mark.parametrize("minute", [10, 50])
def test_windows_cut_early_or_late_in_an_hour_are_counted_alike(same_either_way: Callable[..., dict[str, Any]], minute: int) -> None:
    """The cut first hour is read from HARVESTER_WORKERS, early or late in it; so is the cut
    last hour of a window ending before the run."""
    workers.run(backfill=True)
    now = timezone.now()
    start = (now - timedelta(hours=20)).replace(minute=minute, second=30, microsecond=0)
    for end in (now + timedelta(minutes=1), (now - timedelta(hours=3)).replace(minute=60 - minute, second=5)):
        span = {"date_from": iso(start), "date_to": iso(end)}
        for url, params in CASES:
            assert same_either_way(url, params, span=span)["data"]


def test_workers_that_start_end_or_appear_between_two_runs_are_counted_as_of_the_run_or_live(
    same_either_way: Callable[..., dict[str, Any]], fetch: Callable[..., dict[str, Any]], window: dict[str, str], pandjango_config: Callable[[str, Any], None]
) -> None:
    now = timezone.now()
    base = a_worker(computingsite="MOVING_Q", submissionhost="movinghost", harvesterid="moving_harvester")
    for i in range(3):
        write_worker({**base, "workerid": NEW_WORKERID + i, "status": "submitted", "lastupdate": now - timedelta(hours=3), "njobs": 0})
    workers.run(backfill=True)
    before = same_either_way(SUBMITHOSTS, {})
    # Harvester reports them on, PanDA setting LASTUPDATE, and the refresher has not run since.
    update_worker({**base, "workerid": NEW_WORKERID}, status="running", njobs=1, lastupdate=now - timedelta(seconds=40))
    update_worker({**base, "workerid": NEW_WORKERID + 1}, status="finished", lastupdate=now - timedelta(seconds=30))
    update_worker({**base, "workerid": NEW_WORKERID + 2}, status="missed", lastupdate=now - timedelta(seconds=20))
    write_worker({**base, "workerid": NEW_WORKERID + 3, "status": "submitted", "lastupdate": now - timedelta(seconds=10)})
    # The snapshot fresh: the answers as of the run, the changes not read.
    for url in (SUBMITHOSTS, INFO, PILOTTYPES, SERVICES, QUEUES):
        as_of_the_run = fetch(url, **window)
        assert (as_of_the_run["meta"]["source"], as_of_the_run["meta"]["live_source"]) == ("rollup", "snapshot")
        if url == SUBMITHOSTS:
            assert as_of_the_run["data"] == before["data"]
    moving = next(row for row in before["data"] if row["submissionhost"] == "movinghost")
    assert moving["workers"] == {"total": 3, "by_status": {"submitted": 3}}
    # The snapshot stale: the live workers read, the direct answer.
    live_read(pandjango_config)
    between = same_either_way(SUBMITHOSTS, {}, live="live")
    moving = next(row for row in between["data"] if row["submissionhost"] == "movinghost")
    assert moving["workers"] == {"total": 4, "by_status": {"running": 1, "finished": 1, "missed": 1, "submitted": 1}}
    for url in (INFO, PILOTTYPES, SERVICES, QUEUES):
        same_either_way(url, {}, live="live")
    workers.run()
    after = same_either_way(SUBMITHOSTS, {})
    assert after["data"] == between["data"]
    same_either_way(INFO, {})


def test_an_ended_worker_reported_again_is_counted_as_of_the_run_or_read_directly_until_the_next_run(
    same_either_way: Callable[..., dict[str, Any]], fetch: Callable[..., dict[str, Any]], window: dict[str, str], pandjango_config: Callable[[str, Any], None]
) -> None:
    workers.run(backfill=True)
    before = same_either_way(QUEUES, {})
    worker = a_settled_worker(hours_ago=5)
    # Harvester sends the ended worker once more: PanDA keeps its status and moves LASTUPDATE to now.
    update_worker(worker, lastupdate=timezone.now() - timedelta(seconds=30))
    as_of_the_run = fetch(QUEUES, **window)
    assert as_of_the_run["meta"]["live_source"] == "snapshot" and as_of_the_run["data"] == before["data"]
    live_read(pandjango_config)
    same_either_way(QUEUES, {}, source="direct")  # its old hour holds one worker fewer than the rollup says
    workers.run()
    same_either_way(QUEUES, {})
    same_either_way(INFO, {})


def test_what_the_worker_rollups_cannot_answer_is_read_directly(fetch: Callable[..., dict[str, Any]], pandjango_config: Callable[[str, Any], None]) -> None:
    assert fetch(INFO)["meta"]["source"] == "direct"  # never refreshed
    workers.run()
    assert fetch(INFO)["meta"]["source"] == "rollup"
    assert fetch(INFO, hours=1)["meta"]["source"] == "direct"  # no whole trusted hour
    assert fetch(INFO, days=6)["meta"]["source"] == "direct"  # starts before the horizon
    RollupState.objects.filter(name=WORKERS).update(mark=timezone.now() - timedelta(hours=2))
    pandjango_config("rollups.max_lag_seconds", 3600)
    assert fetch(INFO)["meta"]["source"] == "direct"  # stale


def test_the_job_rollups_alone_do_not_make_worker_answers_rollup_answers(fetch: Callable[..., dict[str, Any]]) -> None:
    refresh.run()
    assert fetch(QUEUES)["meta"]["source"] == "direct"
    summary = fetch("/api/production/jobs/summary/")["meta"]
    assert (summary["source"], summary["active_source"]) == ("rollup", "snapshot")


# ---------------------------------------------------------------------------- the refresher


def test_a_backfill_counts_every_ended_worker_since_the_horizon_once() -> None:
    result = workers.run(backfill=True)
    since = refresh.horizon(result.mark)
    assert settled_total(since) > 0
    assert rolled_total() == settled_total(since)
    assert not WorkerCount.objects.filter(bucket__lt=since).exists()
    assert not WorkerCount.objects.filter(status__in=workers.LIVE_STATUSES).exists()


def test_the_snapshot_holds_the_live_workers_since_the_horizon_per_hour_and_is_replaced_by_each_run() -> None:
    result = workers.run(backfill=True)
    since = refresh.horizon(result.mark)
    alive = workers.live(HarvesterWorkers.objects.filter(lastupdate__gte=since))
    assert alive.exists()
    per_hour: dict[Any, int] = {}
    for moment in alive.values_list("lastupdate", flat=True):
        per_hour[refresh.hour_of(moment)] = per_hour.get(refresh.hour_of(moment), 0) + 1
    snapshot = {row["bucket"]: row["n"] for row in LiveWorkerCount.objects.values("bucket").annotate(n=Sum("n")).order_by()}
    assert snapshot == per_hour
    assert not LiveWorkerCount.objects.exclude(status__in=workers.LIVE_STATUSES).exists()
    ended = alive.order_by("harvesterid", "workerid").values().first()
    assert ended is not None
    update_worker(ended, status="finished", lastupdate=timezone.now())
    workers.run()
    assert int(LiveWorkerCount.objects.aggregate(n=Sum("n"))["n"]) == sum(per_hour.values()) - 1
    assert RollupState.objects.get(name=LIVE_WORKERS).mark == RollupState.objects.get(name=WORKERS).mark


def test_each_hour_holds_the_sources_groups_of_that_hour() -> None:
    workers.run(backfill=True)
    busiest = WorkerCount.objects.values("bucket").annotate(groups=Count("id")).order_by("-groups").first()
    assert busiest is not None
    hour = busiest["bucket"]
    source = workers.workers_in(Window(hour, hour + refresh.HOUR)).exclude(status__in=workers.LIVE_STATUSES)
    expected = {(r["computingsite"], r["status"]): r["n"] for r in source.values("computingsite", "status").annotate(n=Count("workerid"))}
    rolled: dict[tuple[Any, ...], int] = {}
    for row in WorkerCount.objects.filter(bucket=hour).values("computingsite", "status", "n"):
        key = (row["computingsite"], row["status"])
        rolled[key] = rolled.get(key, 0) + row["n"]
    assert rolled == expected


def test_a_run_moves_a_worker_reported_again_out_of_its_old_hour() -> None:
    first = workers.run(backfill=True)
    worker = a_settled_worker(hours_ago=3)
    update_worker(worker, lastupdate=timezone.now() - timedelta(seconds=5))
    second = workers.run()
    assert rolled_total() == settled_total(refresh.horizon(first.mark))
    old_hour = refresh.hour_of(worker["lastupdate"])
    old = workers.workers_in(Window(old_hour, old_hour + refresh.HOUR)).exclude(status__in=workers.LIVE_STATUSES).count()
    assert (WorkerCount.objects.filter(bucket=old_hour).aggregate(n=Sum("n"))["n"] or 0) == old
    assert second.buckets >= 2  # its new hour and its old one


def test_a_worker_deleted_from_harvester_workers_is_forgotten_at_the_next_run() -> None:
    first = workers.run(backfill=True)
    worker = a_settled_worker(hours_ago=30)
    before = rolled_total()
    HarvesterWorkers.objects.filter(harvesterid=worker["harvesterid"], workerid=worker["workerid"]).delete()
    workers.run()
    assert rolled_total() == before - 1 == settled_total(refresh.horizon(first.mark))


def test_the_command_refreshes_the_worker_rollups_too(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("pandadb", "rollup", "--backfill")
    out = capsys.readouterr().out
    assert "workers backfill:" in out and "workers: recomputed" in out and "workers as of" in out
    assert "the active jobs' snapshot" in out and "the live workers' snapshot" in out
    marks = dict(RollupState.objects.values_list("name", "mark"))
    assert marks[WORKERS] is not None and marks[ACTIVE] == marks[JOBS] is not None
    assert marks[LIVE_WORKERS] == marks[WORKERS]
    assert rolled_total() > 0


def test_the_upgrade_to_exact_task_counts_clears_the_job_rollups_mark_but_not_the_workers() -> None:
    refresh.run(backfill=True)
    workers.run(backfill=True)
    marks = dict(RollupState.objects.values_list("name", "mark"))
    rolled = rolled_total()
    upgrade = importlib.import_module("pandjango.rollups.migrations.0003_active_jobs_snapshot")
    upgrade.forget_the_hourly_task_counts(django_apps, None)
    assert not TaskJobCount.objects.exists()
    assert RollupState.objects.get(name=JOBS).mark is None  # the next job run is a backfill
    assert RollupState.objects.get(name=WORKERS).mark == marks[WORKERS]
    assert rolled_total() == rolled > 0
