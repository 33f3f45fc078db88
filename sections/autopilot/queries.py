"""What the autopilot section reads: Harvester's workers (HARVESTER_WORKERS, one row per
pilot) and the tables around them (HARVESTER_INSTANCES, HARVESTER_WORKER_STATS,
HARVESTER_REL_JOBS_WORKERS, RESOURCE_TYPES). A worker is in the window when its LASTUPDATE
is: the table is partitioned on it and HARV_WORKERS_LASTUPD_IDX indexes it. Workers are
counted in the database, grouped by status and one other column, and every grouped read is
bounded by limits.max_summary_rows (the answer says when it cut). The counts come from our
worker rollups when they can answer (rollups.py, docs/rollups.md; meta.source says which);
otherwise the workers of the queues by region are counted with the raw SQL registry's
autopilot.queue_pilot_counts (sql.py) while the registry is on, and with the same GROUP BY
in the ORM otherwise."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum

from pandjango.api.columns import values_by_column
from pandjango.api.output import clean_dates, max_summary_rows
from pandjango.api.parameters import Query
from pandjango.pandadb.firstrows import first
from pandjango.pandadb.jobs import Window, find_jobs
from pandjango.pandadb.models import HarvesterInstances, HarvesterRelJobsWorkers, HarvesterWorkers, HarvesterWorkerStats, ResourceTypes
from pandjango.pandadb.queues import matching_queues
from pandjango.rawsql import definition, fromrequest, running
from pandjango.rollups.workers import ran_no_job, workers_in

from . import rollups, sql

# Grouped worker counts as read: (grouping columns..., count) rows; and where they were read
# (meta.source, meta.fresh_as_of): rollups or directly.
Rows = QuerySet[Any, dict[str, Any]] | Sequence[dict[str, Any]]
Source = dict[str, Any]

# What a worker's answers hold (the list's fields= offers these, the detail has them all): a
# column that PanDA adds to HARVESTER_WORKERS is not answered until it is named here.
WORKER_COLUMNS = (
    "harvesterid", "workerid", "lastupdate", "status", "batchid", "nodeid", "queuename", "computingsite",
    "submittime", "starttime", "endtime", "ncore", "errorcode", "stdout", "stderr", "batchlog", "resourcetype",
    "nativeexitcode", "nativestatus", "diagmessage", "computingelement", "njobs", "submissionhost", "harvesterhost",
    "jdl", "jobtype", "pilotstarttime", "pilotendtime", "pilotstatus", "pilotstatussynctime", "minramcount",
)
WORKER_LIST_FIELDS = (
    "harvesterid", "workerid", "computingsite", "status", "pilotstatus", "resourcetype", "jobtype", "batchid",
    "submissionhost", "computingelement", "nodeid", "submittime", "starttime", "endtime", "lastupdate", "ncore",
    "njobs", "errorcode", "diagmessage",
)
# A worker is named by both columns of the key: the second keeps a sort stable.
WORKER_KEY = ("harvesterid", "workerid")
# The jobs a worker ran, as shown with the worker.
WORKER_JOB_FIELDS = (
    "pandaid", "jobstatus", "computingsite", "jeditaskid", "prodsourcelabel", "produsername",
    "creationtime", "starttime", "endtime", "modificationtime", "piloterrorcode", "exeerrorcode",
)
# A pull-mode worker runs one job after another: a long-lived one may run hundreds.
MAX_WORKER_JOBS = 1000
INSTANCE_COLUMNS = ("harvester_id", "description", "hostname", "owner", "sw_version", "starttime", "lastupdate")
RESOURCE_TYPE_BOUNDS = ("mincore", "maxcore", "minrampercore", "maxrampercore")
QUEUE_FIELDS = ("nickname", "siteid", "cloud", "region", "status", "harvester")


@dataclass
class WorkerCounts:
    """Workers counted by status."""

    total: int = 0
    by_status: Counter[str | None] = field(default_factory=Counter)

    def add(self, status: str | None, count: int) -> None:
        self.total += count
        self.by_status[status] += count

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_status": dict(self.by_status.most_common())}


@dataclass
class Grouped:
    """Worker counts per value of a column, and whether limits.max_summary_rows cut the groups read."""

    counts: dict[Any, WorkerCounts]
    truncated: bool = False

    def of(self, value: Any) -> dict[str, Any]:
        return self.counts.get(value, WorkerCounts()).as_dict()


def counted_rows(
    window: Window, columns: Sequence[str], only: dict[str, list[str]] | None = None, direct: Callable[[], Rows] | None = None
) -> tuple[Rows, Source]:
    """The workers in the window (of the values `only` names: {column: values}) counted per
    value of `columns`: from rollups when they can answer (their groups picked here: a few
    thousand at most), else by `direct` or one GROUP BY of HARVESTER_WORKERS."""
    rolled = rollups.worker_rows(window, columns)
    if rolled is not None:
        rows, source = rolled
        chosen = {column: set(values) for column, values in (only or {}).items()}
        return [row for row in rows if all(row[c] in values for c, values in chosen.items())], source
    if direct is not None:
        return direct(), rollups.direct()
    q = Q(**{f"{column}__in": values for column, values in (only or {}).items()})
    return workers_in(window).filter(q).values(*columns).annotate(count=Count("*")).order_by(), rollups.direct()


def grouped_counts(rows: Rows, column: str) -> Grouped:
    """(value, status, count) rows, at most limits.max_summary_rows of them (the first: one more
    is read to know), as counts per value."""
    counts: dict[Any, WorkerCounts] = defaultdict(WorkerCounts)
    kept, truncated = first(rows, max_summary_rows())
    for row in kept:
        counts[row[column]].add(row["status"], row["count"])
    return Grouped(counts, truncated=truncated)


def worker_counts_by(column: str, window: Window) -> tuple[Grouped, Source]:
    """The workers in the window counted per value of `column` and status."""
    rows, source = counted_rows(window, [column, "status"])
    return grouped_counts(rows, column), source


def pilots(query: Query) -> tuple[list[dict[str, Any]], bool]:
    """The workers matching the filters in the window, sorted (newest LASTUPDATE first by
    default), at most query.limit; and whether more exist."""
    assert query.window is not None
    sign = "-" if query.sort.startswith("-") else ""
    order = [sign + name for name in dict.fromkeys([query.sort.lstrip("-"), *WORKER_KEY])]
    qs = workers_in(query.window).filter(query.q).order_by(*order)
    rows, truncated = first(values_by_column(qs, query.fields), query.limit)
    clean_dates(rows)
    return rows, truncated


def pilot(harvesterid: str, workerid: int) -> dict[str, Any] | None:
    """One worker, all columns, with the jobs it ran (HARVESTER_REL_JOBS_WORKERS): `pandaids`
    all of them (at most MAX_WORKER_JOBS), `jobs` those a job table still holds."""
    worker = values_by_column(HarvesterWorkers.objects.filter(harvesterid=harvesterid, workerid=workerid), WORKER_COLUMNS).first()
    if worker is None:
        return None
    relation = HarvesterRelJobsWorkers.objects.filter(harvesterid=harvesterid, workerid=workerid).order_by("pandaid")
    pandaids = list(relation.values_list("pandaid", flat=True)[: MAX_WORKER_JOBS + 1])
    found = find_jobs(pandaids[:MAX_WORKER_JOBS], WORKER_JOB_FIELDS)
    jobs = [found[pandaid] for pandaid in pandaids[:MAX_WORKER_JOBS] if pandaid in found]
    clean_dates([worker, *jobs])
    return {**worker, "pandaids": pandaids[:MAX_WORKER_JOBS], "pandaids_truncated": len(pandaids) > MAX_WORKER_JOBS, "jobs": jobs}


def queue_worker_counts(window: Window, nicknames: list[str] | None) -> tuple[Grouped, Source]:
    """The workers in the window counted per queue (COMPUTINGSITE) and status: of these
    queues, or of all (None). Read directly with the raw SQL registry while it is on."""
    chosen = {} if nicknames is None else {"computingsite": nicknames}

    def registered() -> Rows:
        return running.run(sql.queue_pilot_counts.name, date_from=window.start, date_to=window.end, **chosen)

    rows, source = counted_rows(window, ["computingsite", "status"], chosen, registered if fromrequest.USE_REGISTRY else None)
    return grouped_counts(rows, "computingsite"), source


def queue_worker_stats() -> dict[str, WorkerCounts]:
    """The workers now per queue and status, as the instances last reported them
    (HARVESTER_WORKER_STATS, summed over instances, resource types and job types)."""
    counts: dict[str, WorkerCounts] = defaultdict(WorkerCounts)
    rows = HarvesterWorkerStats.objects.values("computingsite", "status").annotate(n=Sum("n_workers")).order_by()
    for row in rows[: max_summary_rows()]:
        counts[row["computingsite"]].add(row["status"], row["n"] or 0)
    return counts


def queues_by_region(query: Query) -> tuple[list[dict[str, Any]], bool, Source]:
    """The queues matching the request's filters, grouped by cloud and region, each with its
    workers now (HARVESTER_WORKER_STATS) and its workers in the window; whether a bound cut
    the counts, and where they were read."""
    assert query.window is not None
    queues = sorted(matching_queues(query.filters), key=lambda q: (q["cloud"] or "", q["region"] or "", q["nickname"]))
    now = queue_worker_stats()
    # A few chosen queues are named to the database; many, or all, are picked out here.
    few = any(not f.empty for f in query.filters.values()) and 0 < len(queues) <= definition.MAX_LIST_ITEMS
    recent, source = queue_worker_counts(query.window, [q["nickname"] for q in queues] if few else None)
    rows = []
    for queue in queues:
        row = {key: queue[key] for key in QUEUE_FIELDS}
        row["workers_now"] = now.get(queue["nickname"], WorkerCounts()).as_dict()
        row["workers"] = recent.of(queue["nickname"])
        rows.append(row)
    regions = [
        {"cloud": cloud, "region": region, "queues": list(members)}
        for (cloud, region), members in groupby(rows, key=lambda row: (row["cloud"], row["region"]))
    ]
    return regions, recent.truncated, source


def submithosts(window: Window) -> tuple[list[dict[str, Any]], bool, Source]:
    """The SUBMISSIONHOST values of the workers in the window, with their workers' counts."""
    grouped, source = worker_counts_by("submissionhost", window)
    hosts = sorted(grouped.counts, key=lambda host: (host is None, host or ""))
    return [{"submissionhost": host, "workers": grouped.of(host)} for host in hosts], grouped.truncated, source


def resource_types() -> dict[str, dict[str, Any]]:
    return {row["resource_name"]: row for row in ResourceTypes.objects.values("resource_name", *RESOURCE_TYPE_BOUNDS)}


def pilottypes(window: Window) -> tuple[list[dict[str, Any]], bool, Source]:
    """The workers in the window per resource type and job type, with the resource type's
    core and memory bounds (null for a type RESOURCE_TYPES does not hold)."""
    groups, source = counted_rows(window, ["resourcetype", "jobtype", "status"])
    counts: dict[tuple[Any, Any], WorkerCounts] = defaultdict(WorkerCounts)
    kept, truncated = first(groups, max_summary_rows())
    for row in kept:
        counts[(row["resourcetype"], row["jobtype"])].add(row["status"], row["count"])
    bounds = resource_types()
    no_bounds = dict.fromkeys(RESOURCE_TYPE_BOUNDS)
    rows = []
    for resourcetype, jobtype in sorted(counts, key=lambda key: tuple((v is None, v or "") for v in key)):
        known = bounds.get(resourcetype) if resourcetype is not None else None
        rows.append({
            "resourcetype": resourcetype,
            "jobtype": jobtype,
            **{bound: (known or no_bounds)[bound] for bound in RESOURCE_TYPE_BOUNDS},
            "known_resourcetype": known is not None,
            "workers": counts[(resourcetype, jobtype)].as_dict(),
        })
    return rows, truncated, source


def fresh_since(now: datetime) -> datetime:
    """The oldest heartbeat of an instance that is not stale."""
    return now - timedelta(seconds=settings.PANDJANGO["limits"]["service_stale_seconds"])


def services(window: Window, now: datetime) -> tuple[list[dict[str, Any]], bool, Source]:
    """The Harvester instances with their heartbeat's age, the stale flag (no heartbeat
    within limits.service_stale_seconds of `now`, or none at all), and their workers in the
    window."""
    rows = list(HarvesterInstances.objects.order_by("harvester_id").values(*INSTANCE_COLUMNS))
    clean_dates(rows)
    workers, source = worker_counts_by("harvesterid", window)
    oldest_fresh = fresh_since(now)
    for row in rows:
        heartbeat = row["lastupdate"]
        row["seconds_since_heartbeat"] = int((now - heartbeat).total_seconds()) if heartbeat else None
        row["stale"] = heartbeat is None or heartbeat < oldest_fresh
        row["workers"] = workers.of(row["harvester_id"])
    return rows, workers.truncated, source


def info(window: Window, now: datetime) -> tuple[dict[str, Any], Source]:
    """The autopilot at a glance: the workers in the window, those that ran no job, the
    instances up and stale, and how fresh the worker data is; and where the workers were read."""
    rolled = rollups.worker_rows(window, ["status"], no_jobs=True)
    if rolled is not None:
        groups, source = rolled
        no_jobs = sum(group["no_jobs"] for group in groups)
    else:
        groups, source = list(workers_in(window).values("status").annotate(count=Count("*")).order_by()), rollups.direct()
        no_jobs = workers_in(window).filter(ran_no_job()).count()
    totals = WorkerCounts()
    for group in groups:
        totals.add(group["status"], group["count"])
    instances = HarvesterInstances.objects.aggregate(
        total=Count("harvester_id"), up=Count("harvester_id", filter=Q(lastupdate__gte=fresh_since(now)))
    )
    newest = HarvesterWorkers.objects.aggregate(newest=Max("lastupdate"))
    clean_dates([newest])
    return {
        "workers": {**totals.as_dict(), "no_jobs": no_jobs},
        "instances": {"total": instances["total"], "up": instances["up"], "stale": instances["total"] - instances["up"]},
        "newest_worker_update": newest["newest"],
    }, source
