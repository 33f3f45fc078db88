"""The ORM equivalent of every registered raw query: for the same parameters, the same rows,
computed as the sections' queries.py compute them (one GROUP BY per job table, added up).
Used by tests/pandjango/test_rawsql_results.py and by bench/rawsql_bench.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour, TruncMinute

from pandjango.pandadb import errorcodes
from pandjango.pandadb.epoch import BIN_SECONDS
from pandjango.pandadb.jobs import FINAL_TABLES, Window, job_querysets, tables_for
from pandjango.pandadb.models import HarvesterWorkers, JobColumns
from pandjango.rawsql import jobsql
from sections.stats import queries, sql


def filters_q(params: Mapping[str, Any], columns: Iterable[str]) -> Q:
    q = Q()
    for column in columns:
        if params.get(column):
            q &= Q(**{f"{column}__in": params[column]})
        if params.get(f"{column}_not"):
            q &= ~Q(**{f"{column}__in": params[f"{column}_not"]})
    return q


def _group_counts(querysets: Iterable[QuerySet[Any]], columns: Sequence[str], example: bool = False) -> list[dict[str, Any]]:
    counts: Counter[tuple[Any, ...]] = Counter()
    examples: dict[tuple[Any, ...], int] = {}
    aggregates: dict[str, Any] = {"n": Count("*")}
    if example:
        aggregates["example"] = Max("pandaid")
    for qs in querysets:
        for row in qs.order_by().values(*columns).annotate(**aggregates):
            key = tuple(row[c] for c in columns)
            counts[key] += row["n"]
            if example:
                examples[key] = max(examples.get(key, 0), row["example"])
    rows = []
    for key, n in counts.items():
        row = {**dict(zip(columns, key, strict=True)), "count": n}
        if example:
            row["example_pandaid"] = examples[key]
        rows.append(row)
    return jobsql.by_count(columns)(rows, {})


def _jobs(params: Mapping[str, Any], q: Q, tables: Sequence[str] | None, window: bool = True) -> list[QuerySet[JobColumns]]:
    """The job tables asked for (default: all) that the window reaches, filtered."""
    span = Window(params["date_from"], params["date_to"])
    q &= filters_q(params, jobsql.JOB_FILTERS)
    reach = tables_for(span, tables)
    if not reach:  # job_querysets reads every table when given none
        return []
    return [qs for _, qs in job_querysets(q, span if window else None, reach)]


def jobs_summary(**params: Any) -> list[dict[str, Any]]:
    return _group_counts(_jobs(params, Q(), params.get("tables")), params["groupby"])


def jobs(**params: Any) -> list[dict[str, Any]]:
    return _group_counts(_jobs(params, Q(), params.get("tables")), [params["rows"], params["cols"]])


def failed_jobs_by(**params: Any) -> list[dict[str, Any]]:
    tables = params.get("tables") or FINAL_TABLES
    return _group_counts(_jobs(params, Q(jobstatus="failed"), tables), [params["groupby"]], example=True)


def failed_jobs_by_code(**params: Any) -> list[dict[str, Any]]:
    """As production's queries.failed_jobs_by_code: all seven codes grouped, then split."""
    tables = params.get("tables") or FINAL_TABLES
    codes = [code for code, _ in errorcodes.COLUMNS.values()]
    counts: Counter[tuple[str, int]] = Counter()
    examples: dict[tuple[str, int], int] = {}
    for combination in _group_counts(_jobs(params, Q(jobstatus="failed"), tables), codes, example=True):
        for component, (column, _) in errorcodes.COLUMNS.items():
            code = combination[column]
            if code:
                counts[(component, code)] += combination["count"]
                examples[(component, code)] = max(examples.get((component, code), 0), combination["example_pandaid"])
    rows = [
        {"component": c, "code": code, "description": errorcodes.describe(c, code), "count": n, "example_pandaid": examples[(c, code)]}
        for (c, code), n in counts.items()
    ]
    return jobsql.by_count(["component", "code"])(rows, {})


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _bucket_counts(querysets: Iterable[QuerySet[Any]], column: str, seconds: int, groupby: str | None) -> list[dict[str, Any]]:
    """Counts per bin: the database truncates to the minute, hour or day, and minutes are
    put together into 5- or 15-minute bins here."""
    trunc = {3600: TruncHour, 86400: TruncDay}.get(seconds, TruncMinute)
    keys = ["t", groupby] if groupby else ["t"]
    counts: Counter[tuple[Any, ...]] = Counter()
    for qs in querysets:
        for row in qs.annotate(t=trunc(column)).order_by().values(*keys).annotate(n=Count("*")):
            start = _epoch(row["t"]) // seconds * seconds
            counts[(start, row[groupby]) if groupby else (start,)] += row["n"]
    rows = [{"bucket": key[0], **({groupby: key[1]} if groupby else {}), "count": n} for key, n in counts.items()]
    return sql.by_bucket("groupby")(rows, {"groupby": groupby})


def jobs_timeseries(**params: Any) -> list[dict[str, Any]]:
    """As stats' ended_jobs / created_jobs: the time column in the window, MODIFICATIONTIME
    from its start."""
    time, start, end = params["time"], params["date_from"], params["date_to"]
    bounded = Q(**{f"{time}__gte": start, f"{time}__lt": end, "modificationtime__gte": start})
    querysets = [qs.filter(bounded) for qs in _jobs(params, Q(), params.get("tables"), window=False)]
    return _bucket_counts(querysets, time, BIN_SECONDS[params["bin_seconds"]], params.get("groupby"))


def sites(**params: Any) -> list[dict[str, Any]]:
    """As stats' sites: _site_sums over the jobs that ended in the window (ENDTIME;
    MODIFICATIONTIME from its start), by computingsite."""
    start, end = params["date_from"], params["date_to"]
    bounded = Q(jobstatus__in=["finished", "failed"], endtime__gte=start, endtime__lt=end, modificationtime__gte=start)
    querysets = [qs.filter(bounded) for qs in _jobs(params, Q(), params.get("tables") or FINAL_TABLES, window=False)]
    rows = [{"computingsite": site, **{k: sums[k] for k in sql.SITE_SUMS}} for site, sums in queries._site_sums(querysets).items()]
    return sorted(rows, key=lambda r: (r["computingsite"] is None, r["computingsite"] or ""))


def pilots_timeseries(**params: Any) -> list[dict[str, Any]]:
    """As stats' pilots_submitted: the workers by SUBMITTIME in the window (LASTUPDATE from its
    start)."""
    q = filters_q(params, sql.PILOT_DIMENSIONS)
    start, end = params["date_from"], params["date_to"]
    workers = HarvesterWorkers.objects.filter(q, submittime__gte=start, submittime__lt=end, lastupdate__gte=start)
    return _bucket_counts([workers], "submittime", BIN_SECONDS[params["bin_seconds"]], params.get("groupby"))


def queue_pilot_counts(**params: Any) -> list[dict[str, Any]]:
    """As autopilot's worker_counts_by("computingsite", ...): the workers in the window."""
    q = filters_q(params, ("computingsite",))
    workers = HarvesterWorkers.objects.filter(q, lastupdate__gte=params["date_from"], lastupdate__lt=params["date_to"])
    rows = [dict(row) for row in workers.order_by().values("computingsite", "status").annotate(count=Count("*"))]
    return jobsql.by_count(["computingsite", "status"])(rows, {})


ORM: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "production.jobs_summary": jobs_summary,
    "production.failed_jobs_by_code": failed_jobs_by_code,
    "production.failed_jobs_by": failed_jobs_by,
    "stats.jobs": jobs,
    "stats.jobs_timeseries": jobs_timeseries,
    "stats.sites": sites,
    "stats.pilots_timeseries": pilots_timeseries,
    "autopilot.queue_pilot_counts": queue_pilot_counts,
}
