"""What the stats section reads: counts of jobs and pilots grouped in the database.

Each job table is grouped on its own (job_querysets) and the per-table groups are added up:
a job caught moving between two tables at the moment of the query may be counted twice,
which the counts tolerate (they are not a list of jobs). The matrix and the time series send
one statement of the raw SQL registry instead (sql.py), as do the per-queue sums of the
sites, whenever the request's filters are plain values (fromrequest.in_list_params); a wildcard
takes the ORM path, which gives the same counts.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from pandjango.api.output import iso
from pandjango.api.parameters import Query
from pandjango.pandadb.dates import UNSET_BEFORE
from pandjango.pandadb.epoch import BIN_SECONDS, TimeBucket, seconds_between
from pandjango.pandadb.firstrows import at_most
from pandjango.pandadb.jobs import FINAL_TABLES, Window, job_querysets, tables_for
from pandjango.pandadb.models import HarvesterWorkers, JobColumns
from pandjango.rawsql import fromrequest, running

from . import rollups, sql

# The job columns a matrix or a series may be grouped by, and the pilot columns.
JOB_DIMENSIONS = sql.JOB_DIMENSIONS
PILOT_DIMENSIONS = sql.PILOT_DIMENSIONS

# Job states in lifecycle order (PANDA-SCHEMA.md): a matrix shows its jobstatus in this order.
LIFECYCLE = (
    "pending", "defined", "assigned", "waiting", "activated", "throttled", "sent", "starting",
    "running", "holding", "merging", "transferring", "finished", "failed", "closed", "cancelled",
)


# ---------------------------------------------------------------------------- job selections


def ended_jobs(q: Q, window: Window, states: Sequence[str]) -> list[QuerySet[JobColumns]]:
    """Jobs that reached one of these final states within the window, by ENDTIME. The bound
    on each table's window column (never before ENDTIME) changes nothing but lets the
    indexes serve."""
    tables = tables_for(window, FINAL_TABLES)
    return [
        qs.filter(jobstatus__in=states, endtime__gte=window.start, endtime__lt=window.end)
        for _, qs in job_querysets(q, None, tables, since=window.start)
    ]


def created_jobs(q: Q, window: Window) -> list[QuerySet[JobColumns]]:
    """Jobs created within the window, in every job table (the window column as above)."""
    return [
        qs.filter(creationtime__gte=window.start, creationtime__lt=window.end)
        for _, qs in job_querysets(q, None, tables_for(window), since=window.start)
    ]


def _grouped_counts(querysets: Iterable[QuerySet[Any]], keys: Sequence[str], **annotations: Any) -> Counter[tuple[Any, ...]]:
    """COUNT(*) grouped by `keys` in each queryset, added up across them."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for qs in querysets:
        for row in qs.annotate(**annotations).values(*keys).annotate(n=Count("*")).order_by():
            counts[tuple(row[k] for k in keys)] += row["n"]
    return counts


# ---------------------------------------------------------------------------- stats.jobs


@dataclass
class Matrix:
    """The answer of stats.jobs: its data and whether `limit` cut an axis."""

    data: dict[str, Any]
    truncated: bool
    source: dict[str, Any]  # meta.source and meta.fresh_as_of: rollups or read directly


def _ordered_values(field: str, totals: Counter[Hashable], limit: int) -> tuple[list[Any], bool]:
    """The values of one axis: jobstatus in lifecycle order, others largest total first;
    at most `limit` of them."""
    if field == "jobstatus":
        rank: dict[Any, int] = {s: i for i, s in enumerate(LIFECYCLE)}
        values = sorted(totals, key=lambda v: (rank.get(v, len(rank)), str(v)))
    else:
        values = sorted(totals, key=lambda v: (-totals[v], v is None, str(v)))
    return at_most(values, limit)


def _jobs_counts(query: Query, row_field: str, col_field: str) -> tuple[Counter[tuple[Any, ...]], dict[str, Any]]:
    rolled = rollups.matrix_counts(query, row_field, col_field)
    return rolled if rolled is not None else (_direct_counts(query, row_field, col_field), rollups.direct())


def _direct_counts(query: Query, row_field: str, col_field: str) -> Counter[tuple[Any, ...]]:
    params = fromrequest.job_params(query)
    if params is None:
        assert query.window is not None
        return _grouped_counts((qs for _, qs in job_querysets(query.q, query.window)), (row_field, col_field))
    rows = running.run(sql.jobs.name, **params, rows=row_field, cols=col_field)
    return Counter({(row[row_field], row[col_field]): row["count"] for row in rows})


def jobs(query: Query, row_field: str, col_field: str, limit: int) -> Matrix:
    counts, source = _jobs_counts(query, row_field, col_field)
    row_totals: Counter[Hashable] = Counter()
    col_totals: Counter[Hashable] = Counter()
    for (row, col), n in counts.items():
        row_totals[row] += n
        col_totals[col] += n
    rows, rows_cut = _ordered_values(row_field, row_totals, limit)
    cols, cols_cut = _ordered_values(col_field, col_totals, limit)
    data: dict[str, Any] = {
        "row_field": row_field,
        "col_field": col_field,
        "rows": rows,
        "cols": cols,
        "cells": [[counts.get((r, c), 0) for c in cols] for r in rows],
        "row_totals": [row_totals[r] for r in rows],
        "col_totals": [col_totals[c] for c in cols],
        "total": sum(counts.values()),
    }
    return Matrix(data, rows_cut or cols_cut, source)


# ---------------------------------------------------------------------------- stats.timeseries

JOB_METRICS = ("jobs_finished", "jobs_failed", "jobs_created")
# The metrics of jobs that ended, and the state they ended in.
ENDED = {"jobs_finished": "finished", "jobs_failed": "failed"}
PILOT_METRICS = ("pilots_submitted",)
METRICS = (*JOB_METRICS, *PILOT_METRICS)
OTHER = "other"


def bin_starts(window: Window, seconds: int) -> list[int]:
    """Epoch seconds of every bin that overlaps the window, aligned on multiples of the bin
    size (so 1h bins start on the hour, 1d bins at midnight UTC)."""
    first = math.floor(window.start.timestamp() / seconds) * seconds
    return list(range(first, math.ceil(window.end.timestamp()), seconds))


def _metric_querysets(metric: str, q: Q, window: Window) -> tuple[list[QuerySet[Any]], str]:
    """The querysets a metric counts, and the date column its bins are taken from."""
    if metric in ENDED:
        return ended_jobs(q, window, [ENDED[metric]]), "endtime"
    if metric == "jobs_created":
        return created_jobs(q, window), "creationtime"
    # LASTUPDATE (the partition key) is never before SUBMITTIME: its bound skips old partitions.
    workers = HarvesterWorkers.objects.filter(q, submittime__gte=window.start, submittime__lt=window.end, lastupdate__gte=window.start)
    return [workers], "submittime"


def _metric_raw(metric: str, query: Query) -> tuple[str, dict[str, Any]] | None:
    """The registered query that counts a metric and its parameters (window, filters), or
    None when the request's filters need the ORM. Job metrics take the job filters, the
    pilot metric the pilot filters (query.extra)."""
    window = query.window
    assert window is not None
    span = {"date_from": window.start, "date_to": window.end}
    if metric in PILOT_METRICS:
        pilot_filters = in_list_pilot_filters({**query.extra, **query.filters})
        return None if pilot_filters is None else (sql.pilots_timeseries.name, {**span, **pilot_filters})
    params = fromrequest.job_params(query)
    if params is not None and metric in ENDED:
        params = fromrequest.narrowed(params, "jobstatus", [ENDED[metric]])
        return None if params is None else (sql.jobs_timeseries.name, {**params, "time": "endtime", "tables": list(FINAL_TABLES)})
    return None if params is None else (sql.jobs_timeseries.name, {**params, "time": "creationtime"})


def in_list_pilot_filters(given: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """The request's pilot filters (its own and the shared computingsite) as IN lists."""
    return fromrequest.in_list_params({name: given[name] for name in PILOT_DIMENSIONS if given.get(name)}, sql.PILOT_FILTERS)


def _bin_counts(metric: str, q: Q, query: Query, bin_size: str, groupby: str) -> tuple[Counter[tuple[Any, ...]], dict[str, Any]]:
    """Counts per (bin start, value of groupby), or per (bin start,), and meta.source and
    meta.fresh_as_of. Jobs finished or failed from the rollups when the request allows (the
    rows they cannot count read as the ORM path reads them); jobs created (by CREATIONTIME,
    in every job table) and pilots are always read directly."""
    seconds = BIN_SECONDS[bin_size]
    keys = ("bucket", groupby) if groupby else ("bucket",)
    rolled = rollups.ended_counts(query, ENDED[metric], seconds, groupby) if metric in ENDED else None
    if rolled is not None:
        counts, live, source = rolled
        counts.update(_grouped_counts(live, keys, bucket=TimeBucket("endtime", seconds)))
        return counts, source
    raw = _metric_raw(metric, query)
    if raw is not None:
        name, params = raw
        rows = running.run(name, **params, bin_seconds=bin_size, groupby=groupby or None)
        return Counter({(row["bucket"], row[groupby]) if groupby else (row["bucket"],): row["count"] for row in rows}), rollups.direct()
    assert query.window is not None
    querysets, column = _metric_querysets(metric, q, query.window)
    return _grouped_counts(querysets, keys, bucket=TimeBucket(column, seconds)), rollups.direct()


def timeseries(query: Query, metric: str, q: Q, bin_size: str, groupby: str, top: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Counts per time bin, one series per value of `groupby` (the `top` largest by total,
    the rest added up as "other"), or a single series named after the metric; and
    meta.source and meta.fresh_as_of. `q` is the metric's filter (job or pilot filters), for
    the ORM path."""
    window = query.window
    assert window is not None
    seconds = BIN_SECONDS[bin_size]
    starts = bin_starts(window, seconds)
    counts, source = _bin_counts(metric, q, query, bin_size, groupby)
    index = {start: i for i, start in enumerate(starts)}
    per_name: dict[Any, list[int]] = defaultdict(lambda: [0] * len(starts))
    for key, n in counts.items():
        name = key[1] if groupby else metric
        per_name[name][index[int(key[0])]] += n
    if not groupby:
        series = [{"name": metric, "values": per_name[metric]}]
    else:
        series = _top_series(per_name, top, len(starts))
    bins = [iso(datetime.fromtimestamp(s, UTC)) for s in starts]
    # A bin the window cuts counts only part of its time: a plot must not read it as a drop.
    partial = {"first": bool(starts) and starts[0] < window.start.timestamp(),
               "last": bool(starts) and starts[-1] + seconds > window.end.timestamp()}
    return {"metric": metric, "bin": bin_size, "groupby": groupby or None, "bins": bins, "partial": partial, "series": series}, source


def _top_series(per_name: dict[Any, list[int]], top: int, size: int) -> list[dict[str, Any]]:
    ranked = sorted(per_name, key=lambda name: (-sum(per_name[name]), name is None, str(name)))
    series: list[dict[str, Any]] = [{"name": None if name is None else str(name), "values": per_name[name]} for name in ranked[:top]]
    if len(ranked) > top:
        rest = [0] * size
        for name in ranked[top:]:
            rest = [a + b for a, b in zip(rest, per_name[name], strict=True)]
        series.append({"name": OTHER, "values": rest, "other": True})
    return series


# ---------------------------------------------------------------------------- stats.sites

SITE_FIELDS = ("computingsite", "finished", "failed", "efficiency", "walltime_mean", "cputime_total", "cputime_mean")


def _site_sums(querysets: Iterable[QuerySet[JobColumns]]) -> dict[str | None, Counter[str]]:
    timed = Q(starttime__gte=UNSET_BEFORE, endtime__gte=UNSET_BEFORE)
    sums: dict[str | None, Counter[str]] = defaultdict(Counter)
    for qs in querysets:
        rows = qs.values("computingsite").annotate(
            finished=Count("pandaid", filter=Q(jobstatus="finished")),
            failed=Count("pandaid", filter=Q(jobstatus="failed")),
            wall_sum=Sum(seconds_between("starttime", "endtime"), filter=timed),
            wall_jobs=Count("pandaid", filter=timed),
            cpu_sum=Sum("cpuconsumptiontime"),
            cpu_jobs=Count("cpuconsumptiontime"),
        ).order_by()
        for row in rows:
            site = sums[row.pop("computingsite")]
            for key, value in row.items():
                site[key] += int(value or 0)  # MariaDB and Oracle sum into decimals
    return sums


def _mean(total: int, n: int) -> float | None:
    return round(total / n, 1) if n else None


def _ended_site_sums(query: Query) -> tuple[dict[str | None, Counter[str]], dict[str, Any]]:
    """The sums of _site_sums over the finished and failed jobs of the window, and
    meta.source and meta.fresh_as_of: from the rollups when the request allows (the rows
    they cannot count summed by _site_sums), else the registry's stats.sites in one
    statement when the filters are plain values, else the ORM per table."""
    rolled = rollups.ended_site_sums(query)
    if rolled is not None:
        sums, live, source = rolled
        for site, found in _site_sums(live).items():
            sums[site].update(found)
        return sums, source
    params = fromrequest.job_params(query)
    if params is not None:
        params = fromrequest.narrowed(params, "jobstatus", ["finished", "failed"])
    if params is None:
        assert query.window is not None
        return _site_sums(ended_jobs(query.q, query.window, ["finished", "failed"])), rollups.direct()
    rows = running.run(sql.sites.name, **params)
    return {row["computingsite"]: Counter({k: row[k] for k in sql.SITE_SUMS}) for row in rows}, rollups.direct()


def sites(query: Query) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per queue: jobs finished and failed in the window (by ENDTIME), the efficiency
    finished / (finished + failed), the mean wall time (ENDTIME - STARTTIME) and the CPU time
    (CPUCONSUMPTIONTIME), in seconds; and meta.source and meta.fresh_as_of. Sums are added
    up across tables before dividing."""
    rows = []
    sums, source = _ended_site_sums(query)
    for site, s in sums.items():
        done = s["finished"] + s["failed"]
        rows.append({
            "computingsite": site,
            "finished": s["finished"],
            "failed": s["failed"],
            "efficiency": round(s["finished"] / done, 4) if done else None,
            "walltime_mean": _mean(s["wall_sum"], s["wall_jobs"]),
            "cputime_total": s["cpu_sum"],
            "cputime_mean": _mean(s["cpu_sum"], s["cpu_jobs"]),
        })
    return rows, source


def sort_rows(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Sorted by one field, nulls last in either direction, ties by computingsite."""
    field = sort.lstrip("-")
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: r["computingsite"] or "")
    present.sort(key=lambda r: r[field], reverse=sort.startswith("-"))
    missing.sort(key=lambda r: r["computingsite"] or "")
    return present + missing
