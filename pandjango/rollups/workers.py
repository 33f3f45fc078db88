"""Rollups of Harvester workers: what is counted, and the refresher's part (run). The reading,
for the autopilot's summaries, is workers_reading.py. The autopilot's windows are read on
HARVESTER_WORKERS.LASTUPDATE.

PanDA sets a worker's LASTUPDATE to the time of every change it makes to the row (its
updateWorkers; updateWorkerPilotStatus changes only the pilot's own columns, which no count
uses). So a row only ever leaves a past hour, never enters one, and the columns counted here
do not change without the row's hour changing. Hence:
- the live workers (LIVE_STATUSES) change all the time: each run takes a snapshot of them
  (LiveWorkerCount) at its start and replaces the previous one, with the mark, in its last
  transaction; answers read it while it is fresh (workers_reading.py), HARVESTER_WORKERS
  at request time otherwise;
- the others (finished, failed, cancelled, missed, and any status Harvester may add) are
  rolled up per hour of LASTUPDATE (WorkerCount). Such a worker can still change: Harvester
  reporting an ended worker again moves its LASTUPDATE to now, and its old hour then holds one
  worker fewer than the rollup says. A reading therefore compares the whole hours'
  count with the source's (one COUNT on the LASTUPDATE index, less the live workers) and
  answers directly when they differ; the refresher's next run finds such hours the same way
  (per day, then per hour) and recomputes them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from pandjango.pandadb.epoch import TimeBucket
from pandjango.pandadb.jobs import Window
from pandjango.pandadb.models import HarvesterRelJobsWorkers, HarvesterWorkers

from .models import LIVE_WORKERS, WORKERS, LiveWorkerCount, RollupState, WorkerCount, WorkerCounts
from .refresh import DAY, HOUR, Progress, RunResult, _hours, horizon, hour_of, insert_rows

# Harvester's statuses of a worker that is not over yet (PANDA-SCHEMA.md, section 5).
LIVE_STATUSES = ("submitted", "ready", "running", "idle", "pending")
DIMENSIONS = WorkerCount.dimensions


def ran_no_job() -> Q:
    """A worker ran no job when Harvester counted none (NJOBS 0) or no job names it
    (HARVESTER_REL_JOBS_WORKERS, whose key starts with the worker's)."""
    has_job = Exists(HarvesterRelJobsWorkers.objects.filter(harvesterid=OuterRef("harvesterid"), workerid=OuterRef("workerid")))
    return Q(njobs=0) | Q(~has_job)


def workers_in(window: Window) -> QuerySet[HarvesterWorkers]:
    """The workers whose LASTUPDATE is in the window."""
    return HarvesterWorkers.objects.filter(lastupdate__gte=window.start, lastupdate__lt=window.end)


def live(qs: QuerySet[HarvesterWorkers]) -> QuerySet[HarvesterWorkers]:
    return qs.filter(status__in=LIVE_STATUSES)


def settled(qs: QuerySet[HarvesterWorkers]) -> QuerySet[HarvesterWorkers]:
    return qs.exclude(status__in=LIVE_STATUSES)


def settled_count(window: Window) -> int:
    """The workers in the window that are not live: all of them (a COUNT on the LASTUPDATE
    index alone, no row read) less the live ones (on the status index)."""
    workers = workers_in(window)
    return workers.count() - live(workers).count()


def rolled_count(window: Window) -> int:
    rolled = WorkerCount.objects.filter(bucket__gte=window.start, bucket__lt=window.end).aggregate(n=Sum("n"))
    return int(rolled["n"] or 0)


# ---------------------------------------------------------------------------- the refresher


def recompute(bucket: datetime) -> None:
    """The hour starting at `bucket` counted again from HARVESTER_WORKERS."""
    source = settled(workers_in(Window(bucket, bucket + HOUR)))
    rows = source.values(*DIMENSIONS).annotate(n=Count("*"), no_jobs=Count("workerid", filter=ran_no_job())).order_by()
    with transaction.atomic(using="default"):
        WorkerCount.objects.filter(bucket=bucket).delete()
        _insert(WorkerCount, [(bucket, row) for row in rows])


def live_snapshot(since: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    """The live workers updated at or after `since`, per group (its hour, and its row): grouped by
    hour of LASTUPDATE (in the database: one group per hour, not per second) and the columns."""
    hour = TimeBucket("lastupdate", int(HOUR.total_seconds()))
    rows = live(HarvesterWorkers.objects.filter(lastupdate__gte=since)).annotate(hour=hour)
    grouped = rows.values("hour", *DIMENSIONS).annotate(n=Count("*"), no_jobs=Count("workerid", filter=ran_no_job())).order_by()
    return [(datetime.fromtimestamp(int(row["hour"]), UTC), row) for row in grouped]


def _insert(model: type[WorkerCounts], groups: list[tuple[datetime, dict[str, Any]]]) -> None:
    """Groups of workers (their hour, and a row of DIMENSIONS, n and no_jobs) inserted into `model`'s table."""
    rows = [(hour, *(row[c] for c in DIMENSIONS), row["n"], row["no_jobs"]) for hour, row in groups]
    insert_rows(model, ["bucket", *DIMENSIONS, "n", "no_jobs"], rows)


def _replace_live(groups: list[tuple[datetime, dict[str, Any]]]) -> None:
    """The previous snapshot of the live workers deleted and this one written (the caller's transaction)."""
    LiveWorkerCount.objects.all().delete()
    _insert(LiveWorkerCount, groups)


def changed_buckets(since: datetime, first: datetime) -> list[datetime]:
    """The hours (from `first` on) of the workers updated at or after `since`: new workers, and
    workers that moved on, ended or were reported again."""
    span = HarvesterWorkers.objects.filter(lastupdate__gte=since).aggregate(first=Min("lastupdate"), last=Max("lastupdate"))
    if span["first"] is None:
        return []
    return list(_hours(max(hour_of(span["first"]), first), hour_of(span["last"]) + HOUR))


def mismatched_buckets(since: datetime, until: datetime) -> list[datetime]:
    """The hours from `since` (a midnight) to `until` whose rolled-up count differs from the
    source's: compared per day, then per hour in the days that differ."""
    wrong: list[datetime] = []
    for day in _hours(since, until, DAY):
        whole = Window(day, min(day + DAY, until))
        if settled_count(whole) == rolled_count(whole):
            continue
        hours = (Window(hour, min(hour + HOUR, until)) for hour in _hours(whole.start, whole.end))
        wrong += [hour.start for hour in hours if settled_count(hour) != rolled_count(hour)]
    return wrong


def run(backfill: bool = False, progress: Progress | None = None) -> RunResult:
    """One run over the workers (the caller holds lock.held()): the hours of the workers
    updated since the last run's start minus the overlap, then the hours whose count no
    longer matches. With backfill, or on a first run, every hour since the horizon."""
    started_clock = time.monotonic()
    started = timezone.now()
    current, _ = RollupState.objects.get_or_create(name=WORKERS)
    overlap = timedelta(seconds=settings.PANDJANGO["rollups"]["overlap_seconds"])
    first, now_hour = horizon(started), hour_of(started)
    WorkerCount.objects.filter(bucket__lt=first).delete()
    whole = backfill or current.mark is None
    # The snapshot first, so that it is of the run's start, the mark.
    snapshot = live_snapshot(first)
    snapshot_seconds = time.monotonic() - started_clock
    since = now_hour if whole or current.mark is None else current.mark - overlap
    buckets = sorted({*(_hours(first, now_hour) if whole else ()), *changed_buckets(since, first)})
    if progress and whole:
        progress(f"workers backfill: {len(buckets)} hour buckets from {first:%Y-%m-%d %H:00} UTC")
    for done, bucket in enumerate(buckets, start=1):
        recompute(bucket)
        if progress and whole and (done % 24 == 0 or done == len(buckets)):
            progress(f"workers: recomputed {done}/{len(buckets)} hour buckets (up to {bucket:%Y-%m-%d %H:00} UTC)")
    # After the changed hours: a worker reported again left an older hour of the same day,
    # which only the per-hour counts show once its new hour is counted.
    wrong = [] if whole else [bucket for bucket in mismatched_buckets(first, now_hour) if bucket not in buckets]
    for bucket in wrong:
        recompute(bucket)
    total = len(buckets) + len(wrong)
    written = time.monotonic()
    with transaction.atomic(using="default"):
        _replace_live(snapshot)
        snapshot_seconds += time.monotonic() - written
        seconds = round(time.monotonic() - started_clock, 3)
        hours = len({row[0] for row in snapshot})
        taken = {"mark": started, "finished_at": timezone.now(), "seconds": round(snapshot_seconds, 3), "buckets": hours}
        RollupState.objects.update_or_create(name=LIVE_WORKERS, defaults=taken)
        RollupState.objects.filter(name=WORKERS).update(mark=started, finished_at=timezone.now(), seconds=seconds, buckets=total)
    return RunResult(mark=started, buckets=total, seconds=seconds, snapshot_seconds=round(snapshot_seconds, 3))
