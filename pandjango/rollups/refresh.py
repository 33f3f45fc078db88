"""The refresher: keeps the rollups equal to JOBSARCHIVED4 counted per hour, reading only what changed.

A run finds the hour buckets to recompute and recomputes each wholly from the source (its
rows deleted and inserted again in one transaction): idempotent, and exact whatever the
bucket held before. The source is grouped once per hour by every rolled-up column; the
coarser rollups are added up from those groups. The buckets are
- those of the rows modified since the last run's start minus rollups.overlap_seconds (a row
  may commit a little after its MODIFICATIONTIME): new jobs, and jobs that moved into
  JOBSARCHIVED4 (PanDA sets MODIFICATIONTIME when it moves a job);
- those whose count no longer matches the source's (rows deleted from JOBSARCHIVED4 when
  PanDA cleans it): the counts per day are compared, then per hour in the days that differ,
  each a COUNT on the MODIFICATIONTIME index.
A backfill (and a first run) recomputes every hour since the horizon. The mark (the run's start) is stored
when the run completes; reading.py trusts the buckets that end before mark - overlap.

Each run also takes a snapshot of the active tables (JOBSACTIVE4, JOBSWAITING4, JOBSDEFINED4),
counted as the direct path counts them (each without the PandaIDs of a table before it in
PRECEDENCE) by hour of MODIFICATIONTIME and the rollups' columns. It is read at the run's
start and replaces the previous one, with the mark, in the run's last transaction: snapshot
and mark are of the same moment, which reading.py relies on.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from pandjango.pandadb.dates import UNSET_BEFORE
from pandjango.pandadb.epoch import TimeBucket, seconds_between
from pandjango.pandadb.jobs import LIVE_TABLES, archive_boundary, job_querysets
from pandjango.pandadb.models import JOB_MODELS, JobColumns

from .models import (
    ACTIVE,
    DIMENSIONS,
    END_ROLLUPS,
    END_UNIT_SECONDS,
    ENDED_STATES,
    JOBS,
    ROLLUPS,
    SNAPSHOT_OF,
    Counts,
    EndCount,
    EndCounts,
    JobCount,
    RollupState,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ROLLED_TABLE = "archived"

Progress = Callable[[str], None]
# Every table of the job rollups kept per hour of MODIFICATIONTIME (the snapshot is replaced whole).
HOURLY: tuple[type[models.Model], ...] = (*ROLLUPS, *END_ROLLUPS)

# A group's values -> [jobs, highest PandaID]
Groups = dict[tuple[Any, ...], list[int]]


def add_into(groups: Groups, key: tuple[Any, ...], jobs: int, top: int | None) -> None:
    """Adds `jobs` jobs whose highest PandaID is `top` to the group `key`. Called for every
    group an answer or a refresher run reads: no list is built for a group already there."""
    group = groups.get(key)
    if group is None:
        groups[key] = [int(jobs), int(top or 0)]
        return
    group[0] += int(jobs)
    if top and top > group[1]:
        group[1] = int(top)


@dataclass
class RunResult:
    mark: datetime
    buckets: int
    seconds: float
    snapshot_seconds: float = 0.0  # the active tables' snapshot's share of `seconds`


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    return hour_of(moment).replace(hour=0)


def _source() -> QuerySet[JobColumns]:
    return JOB_MODELS[ROLLED_TABLE]._default_manager.all()


def _in(qs: QuerySet[JobColumns], start: datetime, end: datetime) -> QuerySet[JobColumns]:
    return qs.filter(modificationtime__gte=start, modificationtime__lt=end)


def recompute(bucket: datetime) -> None:
    """The hour starting at `bucket` counted again from the source, in every rollup."""
    hour = _in(_source(), bucket, bucket + HOUR)
    rows = _grouped_source(hour)
    ended = ended_groups(hour)
    with transaction.atomic(using="default"):
        for model in HOURLY:
            model._default_manager.filter(bucket__gte=bucket, bucket__lt=bucket + HOUR).delete()
        for model in ROLLUPS:
            _insert(model, _coarser(model, bucket, rows))
        for ends in END_ROLLUPS:
            columns = ("endbin", *ends.dimensions, *ends.sums, "first_modified", "last_modified")
            insert_rows(ends, ["bucket", *columns], [(bucket, *(row[c] for c in columns)) for row in _coarser_ends(ends, ended)])


def _coarser_ends(model: type[EndCounts], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The finest groups of ended jobs (EndCount's) added up into `model`'s units and columns."""
    if model.unit == END_UNIT_SECONDS and model.dimensions == EndCount.dimensions:
        return groups
    coarser: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in groups:
        key = (row["endbin"] // model.unit * model.unit, *(row[c] for c in model.dimensions))
        found = coarser.get(key)
        if found is None:
            coarser[key] = {**row, "endbin": key[0]}
            continue
        for name in model.sums:
            found[name] += row[name]
        found["first_modified"] = min(found["first_modified"], row["first_modified"])
        found["last_modified"] = max(found["last_modified"], row["last_modified"])
    return list(coarser.values())


def ended_groups(qs: QuerySet[JobColumns]) -> list[dict[str, Any]]:
    """The finished and failed jobs of `qs` (with an ENDTIME) grouped by 5 minutes of ENDTIME
    and EndCount's columns: their number, the sums of the per-queue efficiency as the
    direct path sums them (stats.sites), and their first and last MODIFICATIONTIME."""
    timed = Q(starttime__gte=UNSET_BEFORE, endtime__gte=UNSET_BEFORE)
    ended = qs.filter(jobstatus__in=ENDED_STATES, endtime__gte=UNSET_BEFORE).annotate(endbin=TimeBucket("endtime", END_UNIT_SECONDS))
    rows = ended.values("endbin", *EndCount.dimensions).annotate(
        n=Count("pandaid"),
        wall_sum=Sum(seconds_between("starttime", "endtime"), filter=timed),
        wall_jobs=Count("pandaid", filter=timed),
        cpu_sum=Sum("cpuconsumptiontime"),
        cpu_jobs=Count("cpuconsumptiontime"),
        first_modified=Min("modificationtime"),
        last_modified=Max("modificationtime"),
    ).order_by()
    # MariaDB and Oracle sum into decimals; a sum over no value is NULL.
    return [{**row, **{name: int(row[name] or 0) for name in EndCount.sums}, "endbin": int(row["endbin"])} for row in rows]


def _grouped_source(qs: QuerySet[JobColumns]) -> list[dict[str, Any]]:
    """The rows of `qs` grouped by MODIFICATIONTIME and every rolled-up column, each group's
    jobs and highest PandaID."""
    return list(qs.values("modificationtime", *DIMENSIONS).annotate(n=Count("pandaid"), max_pandaid=Max("pandaid")).order_by())


def _coarser(model: type[Counts], hour: datetime, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The finest groups of one hour added up into the groups of `model`'s columns, at the
    hour or, for an exact model, at their MODIFICATIONTIME: rows of (bucket, *dimensions, n,
    max_pandaid), as _insert writes them."""
    groups: Groups = {}
    for row in rows:
        add_into(groups, (row["modificationtime"] if model.exact else hour, *(row[c] for c in model.dimensions)), row["n"], row["max_pandaid"])
    return [(*key, n, top) for key, (n, top) in groups.items()]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows of `columns` (the first, `bucket`, a time) inserted into `model`'s table by one
    executemany per 1,000: the refresher writes hundreds of thousands of rows, and building
    a model instance for each (bulk_create) cost more than the writing itself. The times
    (`bucket` and any other DateTimeField) are adapted as the database takes them."""
    connection = connections[router.db_for_write(model) or "default"]
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)  # the fields' own names
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
    adapt = connection.ops.adapt_datetimefield_value
    times = {i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), models.DateTimeField)}

    def adapted(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(adapt(value) if i in times else value for i, value in enumerate(row))

    with connection.cursor() as cursor:
        for i in range(0, len(rows), 1000):
            cursor.executemany(sql, [adapted(row) for row in rows[i : i + 1000]])


def _insert(model: type[Counts], rows: list[tuple[Any, ...]]) -> None:
    """Rows of (bucket, *dimensions, n, max_pandaid) inserted into `model`'s table."""
    insert_rows(model, ["bucket", *model.dimensions, "n", "max_pandaid"], rows)


def changed_buckets(since: datetime) -> list[datetime]:
    """The hours of the rows modified at or after `since`."""
    span = _source().filter(modificationtime__gte=since).aggregate(first=Min("modificationtime"), last=Max("modificationtime"))
    if span["first"] is None:
        return []
    return list(_hours(max(hour_of(span["first"]), horizon(timezone.now())), hour_of(span["last"]) + HOUR))


def _hours(start: datetime, end: datetime, step: timedelta = HOUR) -> Iterable[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += step


def _rolled_per_hour() -> Counter[datetime]:
    return Counter({row["bucket"]: row["jobs"] for row in JobCount.objects.values("bucket").annotate(jobs=Sum("n")).order_by()})


def _count(start: datetime, end: datetime) -> int:
    return _in(_source(), start, end).count()


def mismatched_buckets(since: datetime, until: datetime) -> list[datetime]:
    """The hours from `since` (a midnight) to `until` whose rolled-up count differs from the source's."""
    rolled = _rolled_per_hour()
    wrong: list[datetime] = []
    for day in _hours(since, until, DAY):
        day_end = min(day + DAY, until)
        rolled_day = sum(n for bucket, n in rolled.items() if day <= bucket < day_end)
        if _count(day, day_end) == rolled_day:
            continue
        wrong += [hour for hour in _hours(day, day_end) if _count(hour, min(hour + HOUR, until)) != rolled.get(hour, 0)]
    return wrong


def horizon(now: datetime) -> datetime:
    """The first bucket kept: the midnight before JOBSARCHIVED4's retention boundary. A
    window starting earlier reads the archive, which rollups do not count (reading.py), so
    older buckets would never be read."""
    return day_of(archive_boundary(now))


def active_snapshot(since: datetime) -> dict[datetime, list[dict[str, Any]]]:
    """The active tables' jobs modified at or after `since`, grouped by MODIFICATIONTIME and
    every rolled-up column, per hour: each table without the PandaIDs of a table before it
    (pandadb.jobs.job_querysets over the live tables, JOBSARCHIVED4 included), as the direct
    path counts them."""
    hours: dict[datetime, list[dict[str, Any]]] = {}
    for name, qs in job_querysets(tables=LIVE_TABLES, since=since):
        if name == ROLLED_TABLE:
            continue
        for row in _grouped_source(qs):
            hours.setdefault(hour_of(row["modificationtime"]), []).append(row)
    return hours


def _replace_snapshot(hours: dict[datetime, list[dict[str, Any]]]) -> None:
    """The previous snapshot deleted and this one written (the caller's transaction)."""
    for snapshot in SNAPSHOT_OF.values():
        snapshot._default_manager.all().delete()
        for hour, rows in hours.items():
            _insert(snapshot, _coarser(snapshot, hour, rows))


def state() -> RollupState:
    found, _ = RollupState.objects.get_or_create(name=JOBS)
    return found


def run(backfill: bool = False, progress: Progress | None = None) -> RunResult:
    """One refresher run (the caller holds lock.held()). With backfill, or on a first run,
    every hour since the horizon is recomputed, whatever the rollups held."""
    started_clock = time.monotonic()
    started = timezone.now()
    current = state()
    overlap = timedelta(seconds=settings.PANDJANGO["rollups"]["overlap_seconds"])
    first = horizon(started)
    for model in HOURLY:
        model._default_manager.filter(bucket__lt=first).delete()
    whole = backfill or current.mark is None
    # The snapshot first, so that it is of the run's start, the mark.
    active = active_snapshot(first)
    snapshot_seconds = time.monotonic() - started_clock
    if current.mark is None or backfill:
        buckets = {*_hours(first, hour_of(started)), *changed_buckets(hour_of(started))}
    else:
        buckets = {*mismatched_buckets(first, hour_of(started)), *changed_buckets(current.mark - overlap)}
    if progress and whole:
        progress(f"backfill: {len(buckets)} hour buckets from {first:%Y-%m-%d %H:00} UTC")
    for done, bucket in enumerate(sorted(buckets), start=1):
        recompute(bucket)
        if progress and whole and (done % 24 == 0 or done == len(buckets)):
            progress(f"recomputed {done}/{len(buckets)} hour buckets (up to {bucket:%Y-%m-%d %H:00} UTC)")
    written = time.monotonic()
    with transaction.atomic(using="default"):
        _replace_snapshot(active)
        snapshot_seconds += time.monotonic() - written
        seconds = round(time.monotonic() - started_clock, 3)
        RollupState.objects.update_or_create(
            name=ACTIVE, defaults={"mark": started, "finished_at": timezone.now(), "seconds": round(snapshot_seconds, 3), "buckets": len(active)}
        )
        RollupState.objects.filter(name=JOBS).update(mark=started, finished_at=timezone.now(), seconds=seconds, buckets=len(buckets))
    return RunResult(mark=started, buckets=len(buckets), seconds=seconds, snapshot_seconds=round(snapshot_seconds, 3))
