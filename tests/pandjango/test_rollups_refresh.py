"""The rollups' refresher: exact per hour after a backfill and after each run, the lock that
lets one runner work at a time, `manage.py pandadb rollup`, and what /healthz says."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from pandjango import config
from pandjango.api.output import iso
from pandjango.pandadb.jobs import LIVE_TABLES, one_row_per_pandaid
from pandjango.pandadb.models import JOB_MODELS
from pandjango.pandadb.router import PandaRouter
from pandjango.rollups import lock, refresh, runner, workers
from pandjango.rollups.models import ACTIVE, JOBS, LIVE_WORKERS, LOCK, WORKERS, ActiveJobCount, ActiveTaskJobCount, JobCount, RollupState, TaskJobCount
from tests.pandjango.rollups_helpers import NEW_PANDAID, a_job, move_job, refreshed, rolled_total, write_job

ARCHIVED4 = JOB_MODELS["archived"]._default_manager


def source_total(since: datetime) -> int:
    return ARCHIVED4.filter(modificationtime__gte=since).count()


def test_a_backfill_counts_every_job_of_jobsarchived4_since_the_horizon_once() -> None:
    result = refreshed(backfill=True)
    since = refresh.horizon(result.mark)
    assert source_total(since) > 0
    assert rolled_total(0) == rolled_total(1) == source_total(since)
    assert not JobCount.objects.filter(bucket__lt=since).exists()


def test_each_hour_holds_the_sources_groups_of_that_hour() -> None:
    refreshed(backfill=True)
    busiest = JobCount.objects.values("bucket").annotate(groups=Count("id")).order_by("-groups").first()
    assert busiest is not None
    hour = busiest["bucket"]
    direct = ARCHIVED4.filter(modificationtime__gte=hour, modificationtime__lt=hour + refresh.HOUR)
    expected = {(r["computingsite"], r["jobstatus"]): r["n"] for r in direct.values("computingsite", "jobstatus").annotate(n=Count("pandaid"))}
    rolled: dict[tuple[Any, ...], int] = {}
    for row in TaskJobCount.objects.filter(bucket__gte=hour, bucket__lt=hour + refresh.HOUR).values("computingsite", "jobstatus", "n"):
        key = (row["computingsite"], row["jobstatus"])
        rolled[key] = rolled.get(key, 0) + row["n"]
    assert rolled == expected
    # The groups by task and user at their exact MODIFICATIONTIME, the coarse ones at the hour.
    exact = TaskJobCount.objects.filter(bucket__gte=hour, bucket__lt=hour + refresh.HOUR).values_list("bucket", flat=True)
    assert set(exact) == set(direct.values_list("modificationtime", flat=True))
    assert set(JobCount.objects.filter(bucket__gte=hour, bucket__lt=hour + refresh.HOUR).values_list("bucket", flat=True)) == {hour}


def test_a_run_recomputes_the_hours_of_the_jobs_written_since_the_last_one() -> None:
    refreshed(backfill=True)
    before = rolled_total()
    now = timezone.now()
    for i in range(3):
        write_job("archived", a_job(pandaid=NEW_PANDAID + i, modificationtime=now - timedelta(minutes=i)))
    result = refreshed()
    assert rolled_total() == before + 3
    assert 1 <= result.buckets <= 3


def test_a_job_deleted_from_jobsarchived4_long_ago_is_forgotten_at_the_next_run() -> None:
    first = refreshed(backfill=True)
    old = ARCHIVED4.filter(modificationtime__gte=refresh.horizon(first.mark) + timedelta(hours=2)).order_by("modificationtime").first()
    assert old is not None
    before = rolled_total()
    old.delete()
    second = refreshed()
    assert rolled_total() == before - 1
    assert second.buckets >= 1


def test_a_backfill_replaces_what_an_hour_held() -> None:
    first = refreshed(backfill=True)
    hour = refresh.horizon(first.mark) + timedelta(hours=5)
    JobCount.objects.filter(bucket=hour).update(jobstatus="wrong")  # same count, other content
    refreshed(backfill=True)
    assert not JobCount.objects.filter(jobstatus="wrong").exists()


def test_a_second_run_with_nothing_new_recomputes_only_the_recent_hours() -> None:
    refreshed(backfill=True)
    total = rolled_total()
    result = refreshed()
    assert rolled_total() == total
    assert result.buckets <= 2  # the hours of the overlap


def test_a_run_stores_its_mark_and_cost() -> None:
    before = timezone.now()
    result = refreshed()
    state = RollupState.objects.get(name=JOBS)
    assert state.mark == result.mark and before <= state.mark <= timezone.now()
    assert state.buckets == result.buckets and state.seconds >= 0


# ---------------------------------------------------------------------------- the active jobs' snapshot


def active_jobs_per_hour(since: datetime) -> Counter[tuple[Any, ...]]:
    """The jobs of the active tables modified since `since` per (hour, site, state), each job
    counted in the table that stands for it (the first in PRECEDENCE that holds it)."""
    rows = []
    for table in LIVE_TABLES:
        for row in JOB_MODELS[table]._default_manager.values("pandaid", "modificationtime", "computingsite", "jobstatus"):
            rows.append({**row, "table": table})
    kept = [r for r in one_row_per_pandaid(rows).values() if r["table"] != "archived" and r["modificationtime"] >= since]
    return Counter((refresh.hour_of(r["modificationtime"]), r["computingsite"], r["jobstatus"]) for r in kept)


def snapshot_per_hour(model: Any) -> Counter[tuple[Any, ...]]:
    counted: Counter[tuple[Any, ...]] = Counter()
    for row in model.objects.values("bucket", "computingsite", "jobstatus", "n"):
        counted[(refresh.hour_of(row["bucket"]), row["computingsite"], row["jobstatus"])] += row["n"]
    return +counted


def test_each_run_snapshots_the_active_tables_once_per_pandaid_and_replaces_the_last_snapshot() -> None:
    now = timezone.now()
    write_job("archived", a_job(pandaid=NEW_PANDAID, modificationtime=now - timedelta(hours=1), computingsite="TWO"))
    write_job("active", a_job("active", pandaid=NEW_PANDAID, modificationtime=now - timedelta(hours=2), computingsite="TWO"))
    write_job("active", a_job("active", pandaid=NEW_PANDAID + 1, modificationtime=now - timedelta(hours=3), computingsite="TWO"))
    write_job("defined", a_job("active", pandaid=NEW_PANDAID + 1, jobstatus="defined", modificationtime=now - timedelta(hours=4), computingsite="TWO"))
    first = refreshed()
    since = refresh.horizon(first.mark)
    expected = active_jobs_per_hour(since)
    assert sum(n for (_, site, _), n in expected.items() if site == "TWO") == 1  # the job of JOBSACTIVE4, once
    assert snapshot_per_hour(ActiveJobCount) == snapshot_per_hour(ActiveTaskJobCount) == expected
    # The coarse table by hour, the exact one at the job's own MODIFICATIONTIME.
    stamped = JOB_MODELS["active"]._default_manager.get(pandaid=NEW_PANDAID + 1).modificationtime
    assert list(ActiveTaskJobCount.objects.filter(computingsite="TWO").values_list("bucket", flat=True)) == [stamped]
    assert list(ActiveJobCount.objects.filter(computingsite="TWO").values_list("bucket", flat=True)) == [refresh.hour_of(stamped)]
    taken = RollupState.objects.get(name=ACTIVE)
    assert taken.mark == first.mark == RollupState.objects.get(name=JOBS).mark and taken.buckets == len({k[0] for k in expected})
    # PanDA moves one on and defines another; the next run's snapshot holds them as they are now.
    move_job(NEW_PANDAID + 1, "active", "archived", jobstatus="finished", modificationtime=timezone.now())
    write_job("waiting", a_job("active", pandaid=NEW_PANDAID + 2, jobstatus="pending", modificationtime=timezone.now(), computingsite="TWO"))
    second = refreshed()
    after = active_jobs_per_hour(since)
    assert after != expected
    assert snapshot_per_hour(ActiveJobCount) == snapshot_per_hour(ActiveTaskJobCount) == after
    assert RollupState.objects.get(name=ACTIVE).mark == second.mark and 0 <= second.snapshot_seconds <= second.seconds


def test_the_rollups_live_in_our_database_and_panda_stays_read_only() -> None:
    router = PandaRouter()
    assert router.db_for_write(JobCount) is None and router.db_for_read(TaskJobCount) is None  # the default database
    assert router.db_for_write(ActiveJobCount) is None and router.db_for_read(ActiveTaskJobCount) is None
    assert router.allow_migrate("panda", "rollups") is False
    assert router.allow_migrate("default", "rollups") is True


# ---------------------------------------------------------------------------- the lock


def test_a_second_runner_is_told_another_holds_the_lock_row() -> None:
    with lock.held(me="server-a"):
        with pytest.raises(lock.Busy, match="another refresher holds the rollups lock"):
            with lock.held(me="server-b"):
                pass
    with lock.held(me="server-b"):  # freed when the first one ended
        assert RollupState.objects.get(name=LOCK).locked_by == "server-b"


def test_a_lock_row_left_by_a_runner_that_died_expires() -> None:
    RollupState.objects.update_or_create(name=LOCK, defaults={"locked_by": "dead", "locked_until": timezone.now() - timedelta(seconds=1)})
    with lock.held(me="alive"):
        assert RollupState.objects.get(name=LOCK).locked_by == "alive"


def _other_session_tries(alias: str) -> str:
    outcome: list[str] = []

    def attempt() -> None:
        try:
            with lock.held(alias, me="other"):
                outcome.append("got it")
        except lock.Busy:
            outcome.append("busy")
        finally:
            connections[alias].close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(30)
    return outcome[0]


@pytest.mark.parametrize("held_first", [True, False])
def test_the_session_lock_of_mariadb_and_postgresql_lets_one_session_hold_it(vendor: str, held_first: bool) -> None:
    """GET_LOCK or pg_try_advisory_lock, taken on the PanDA test database's server (it writes nothing)."""
    if vendor == "sqlite":
        assert lock._session_lock("panda") is None  # SQLite has no session lock: the row above serves
        return
    if held_first:
        with lock.held("panda", me="first"):
            assert _other_session_tries("panda") == "busy"
    else:
        assert _other_session_tries("panda") == "got it"


# ---------------------------------------------------------------------------- the command


def test_the_command_runs_once_and_says_how_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("pandadb", "rollup")
    assert "rollups up to date as of" in capsys.readouterr().out
    assert RollupState.objects.get(name=JOBS).mark is not None


def test_a_backfill_shows_its_progress(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("pandadb", "rollup", "--backfill")
    out = capsys.readouterr().out
    assert "backfill:" in out and "hour buckets" in out and "recomputed" in out


def test_the_command_exits_when_another_runner_holds_the_lock() -> None:
    with lock.held(me="another server"):
        with pytest.raises(CommandError, match="another refresher holds the rollups lock"):
            call_command("pandadb", "rollup")


# ---------------------------------------------------------------------------- health and config


NEVER_RUN = {"state": "never run", "fresh_as_of": None, "lag_seconds": None}


def test_healthz_shows_the_rollups_lag(anon_client: Client) -> None:
    never_run = {**NEVER_RUN, "parts": {JOBS: NEVER_RUN, ACTIVE: NEVER_RUN, WORKERS: NEVER_RUN, LIVE_WORKERS: NEVER_RUN}}
    assert anon_client.get("/healthz").json()["rollups"] == never_run
    refreshed()
    rollups = anon_client.get("/healthz").json()["rollups"]
    assert rollups["state"] == "ok" and 0 <= rollups["lag_seconds"] < 60 and rollups["fresh_as_of"].endswith("Z")


def test_healthz_shows_each_part_by_its_own_mark(anon_client: Client) -> None:
    result = refreshed()
    parts = anon_client.get("/healthz").json()["rollups"]["parts"]
    # The job rollups and the snapshot share the run's mark; the worker rollups have not run.
    assert parts[JOBS]["state"] == parts[ACTIVE]["state"] == "ok" and parts[WORKERS] == parts[LIVE_WORKERS] == NEVER_RUN
    assert parts[JOBS]["fresh_as_of"] == parts[ACTIVE]["fresh_as_of"] == iso(result.mark)
    counted = workers.run()
    rollups = anon_client.get("/healthz").json()["rollups"]
    for name in (WORKERS, LIVE_WORKERS):  # the worker run took the live workers' snapshot with its mark
        assert rollups["parts"][name]["state"] == "ok" and rollups["parts"][name]["fresh_as_of"] == iso(counted.mark)
    assert {key: rollups[key] for key in ("state", "fresh_as_of")} == {key: rollups["parts"][JOBS][key] for key in ("state", "fresh_as_of")}


def test_healthz_says_which_part_is_stale(anon_client: Client, pandjango_config: Any) -> None:
    refreshed()
    workers.run()
    pandjango_config("rollups.max_lag_seconds", 900)
    pandjango_config("rollups.active_max_lag_seconds", 180)
    # A run 10 minutes ago: the job rollups still fresh, their snapshot no longer read.
    RollupState.objects.filter(name__in=(JOBS, ACTIVE)).update(mark=timezone.now() - timedelta(minutes=10))
    RollupState.objects.filter(name=WORKERS).update(mark=timezone.now() - timedelta(hours=2))
    rollups = anon_client.get("/healthz").json()["rollups"]
    assert {name: part["state"] for name, part in rollups["parts"].items()} == {JOBS: "ok", ACTIVE: "stale", WORKERS: "stale", LIVE_WORKERS: "stale"}
    assert rollups["state"] == "ok" and 590 <= rollups["lag_seconds"] < 660
    assert 7190 <= rollups["parts"][WORKERS]["lag_seconds"] < 7260


def test_healthz_says_the_snapshot_is_stale_when_an_older_run_took_it(anon_client: Client) -> None:
    refreshed()
    # A refresher without the snapshot set the mark after the run that took it: answers read
    # the active tables live, however recent the snapshot.
    taken = RollupState.objects.get(name=ACTIVE).mark
    RollupState.objects.filter(name=JOBS).update(mark=taken + timedelta(seconds=1))
    parts = anon_client.get("/healthz").json()["rollups"]["parts"]
    assert parts[JOBS]["state"] == "ok" and parts[ACTIVE]["state"] == "stale" and parts[ACTIVE]["lag_seconds"] < 60


def test_healthz_says_stale_past_the_configured_lag(anon_client: Client, pandjango_config: Any) -> None:
    refreshed()
    RollupState.objects.filter(name=JOBS).update(mark=timezone.now() - timedelta(hours=2))
    pandjango_config("rollups.max_lag_seconds", 3600)
    assert anon_client.get("/healthz").json()["rollups"]["state"] == "stale"
    pandjango_config("rollups.enabled", False)
    off = {"state": "off"}
    assert anon_client.get("/healthz").json()["rollups"] == {**off, "parts": {JOBS: off, ACTIVE: off, WORKERS: off, LIVE_WORKERS: off}}


@pytest.mark.no_db
@pytest.mark.parametrize("key", ["max_lag_seconds", "active_max_lag_seconds", "overlap_seconds", "lock_seconds"])
def test_the_config_refuses_a_lag_overlap_or_lock_time_that_is_not_positive(tmp_path: Path, key: str) -> None:
    path = tmp_path / "pandjango.toml"
    path.write_text(f'[databases.default]\nengine = "sqlite"\nname = "x"\n[databases.panda]\nengine = "sqlite"\nname = "y"\n[rollups]\n{key} = 0\n')
    with pytest.raises(config.ConfigError, match=f"rollups.{key} must be > 0"):
        config.load(path)


class Stopped(Exception):
    pass


def test_the_loop_runs_again_and_waits_its_turn_while_another_holds_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise Stopped

    monkeypatch.setattr(runner.time, "sleep", sleep)
    monkeypatch.setattr(runner.connections, "close_all", lambda: None)  # the test's transaction stays open
    with lock.held(me="another server"), pytest.raises(Stopped):
        runner.refresh_loop(backfill=False, every=7, say=said.append)
    assert said == ["another refresher holds the rollups lock; this one exits"] * 2 and sleeps == [7, 7]
    monkeypatch.setattr(runner.time, "sleep", lambda seconds: (_ for _ in ()).throw(Stopped()))
    with pytest.raises(Stopped):
        runner.refresh_loop(backfill=False, every=7, say=said.append)
    assert said[-1].startswith("rollups up to date as of")
