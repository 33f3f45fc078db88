"""The one place that knows how to read "all jobs" across the PanDA job tables.

A job moves JOBSDEFINED4 -> JOBSACTIVE4 -> JOBSARCHIVED4 as its state changes, and PanDA
copies finished jobs into PANDAARCH.JOBSARCHIVED daily while JOBSARCHIVED4 keeps them a few
days more: a job can sit in two tables, for days in the case of the archive. Every read
counts each PandaID once: a table's row is left out when a table later in the job's life
(KEPT_BEFORE), among those read, holds the same PandaID. Lists, counts, facets and time
series all read through job_querysets, and the raw SQL registry writes the same rule into
its texts, so they agree. The archive is read only when the window reaches past
JOBSARCHIVED4's retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .firstrows import at_most, read_size
from .models import JOB_MODELS, JobColumns

LIVE_TABLES = ("defined", "waiting", "active", "archived")
ALL_TABLES = (*LIVE_TABLES, "archive")
FINAL_STATES = frozenset({"finished", "failed", "cancelled", "closed"})
# The tables that hold the jobs in a final state: JOBSARCHIVED4 and the archive.
FINAL_TABLES = ("archived", "archive")
# Which table's row stands for a job found in several: the later in its life first; the
# archive holds copies, so any live table wins over it.
PRECEDENCE = ("archived", "active", "waiting", "defined", "archive")
# The column a table's time window is read on: the archive has no index on MODIFICATIONTIME,
# only on STATECHANGETIME (the time of a final job's last state change, which is when it was
# last modified but for PanDA's bookkeeping).
WINDOW_COLUMN = {"archive": "statechangetime"}


def window_column(table: str) -> str:
    return WINDOW_COLUMN.get(table, "modificationtime")


def kept_before(table: str, scope: Iterable[str]) -> list[str]:
    """The tables of `scope` whose rows stand for a job before `table`'s row does."""
    wanted = set(scope)
    return [t for t in PRECEDENCE[: PRECEDENCE.index(table)] if t in wanted]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass
class JobRows:
    rows: list[dict[str, Any]]
    truncated: bool


def archive_boundary(now: datetime | None = None) -> datetime:
    """Jobs modified before this are only in the PANDAARCH archive."""
    days = settings.PANDJANGO["panda"]["archived4_retention_days"]
    return (now or timezone.now()) - timedelta(days=days)


def tables_for(window: Window | None, tables: Iterable[str] | None = None) -> list[str]:
    """The job tables a query over this window must read, in lifecycle order."""
    wanted = set(tables) if tables else set(ALL_TABLES)
    reach_archive = window is None or window.start < archive_boundary()
    return [t for t in ALL_TABLES if t in wanted and (t != "archive" or reach_archive)]


def job_querysets(
    q: Q | None = None, window: Window | None = None, tables: Iterable[str] | None = None, since: datetime | None = None
) -> list[tuple[str, QuerySet[JobColumns]]]:
    """One filtered queryset per job table in scope, each without the jobs that a table
    before it (kept_before) holds; callers add values/aggregates. The window (or only its
    start, `since`) is on each table's window_column."""
    out = []
    scope = tables_for(window, tables)
    for name in scope:
        qs = JOB_MODELS[name]._default_manager.all()
        column = window_column(name)
        if window is not None:
            qs = qs.filter(**{f"{column}__gte": window.start, f"{column}__lt": window.end})
        if since is not None:
            qs = qs.filter(**{f"{column}__gte": since})
        if q is not None:
            qs = qs.filter(q)
        for other in kept_before(name, scope):
            qs = qs.filter(~Exists(JOB_MODELS[other]._default_manager.filter(pandaid=OuterRef("pandaid"))))
        out.append((name, qs))
    return out


def one_row_per_pandaid(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Rows carrying "table", one per PandaID: the row of the table first in PRECEDENCE."""
    best: dict[int, dict[str, Any]] = {}
    for row in rows:
        seen = best.get(row["pandaid"])
        if seen is None or PRECEDENCE.index(row["table"]) < PRECEDENCE.index(seen["table"]):
            best[row["pandaid"]] = row
    return best


def all_jobs(
    q: Q | None = None,
    window: Window | None = None,
    *,
    fields: Sequence[str],
    tables: Iterable[str] | None = None,
    sort: str = "-modificationtime",
    limit: int = 100,
) -> JobRows:
    """Rows (dicts of `fields` plus "table") of jobs matching q in the window, newest first
    by default. Each table gives at most limit+1 rows in the wanted order, so the merged
    top `limit` is exact and `truncated` says whether more exist."""
    sort_field = sort.lstrip("-")
    columns = list(dict.fromkeys([*fields, "pandaid", "modificationtime", sort_field]))
    collected: list[dict[str, Any]] = []
    for name, qs in job_querysets(q, window, tables):
        # Order by the sort field alone: a tie-breaker column would keep the database from
        # reading the rows in the order of the table's index on that field (a filesort of
        # the whole window instead of the first limit+1 index entries).
        for row in qs.order_by(sort).values(*columns)[: read_size(limit)]:
            row["table"] = name
            collected.append(row)
    unique = list(one_row_per_pandaid(collected).values())
    descending = sort.startswith("-")
    if descending:
        unique.sort(key=lambda r: (r[sort_field] is not None, r[sort_field], r["pandaid"]), reverse=True)
    else:
        unique.sort(key=lambda r: (r[sort_field] is None, r[sort_field], r["pandaid"]))
    wanted = set(fields) | {"table"}
    kept, truncated = at_most(unique, limit)
    return JobRows(rows=[{k: v for k, v in row.items() if k in wanted} for row in kept], truncated=truncated)


def find_jobs(pandaids: Iterable[int], fields: Sequence[str] | None = None) -> dict[int, dict[str, Any]]:
    """The row that stands for each of these jobs (one_row_per_pandaid), wherever it is,
    keyed by pandaid; ids found in no table are absent. Reads the archive too (it is
    indexed on PANDAID)."""
    ids = list(set(pandaids))
    if not ids:
        return {}
    columns = list(dict.fromkeys([*(fields or ()), "pandaid", "modificationtime"])) if fields else []
    collected: list[dict[str, Any]] = []
    for name in ALL_TABLES:
        qs = JOB_MODELS[name]._default_manager.filter(pandaid__in=ids)
        for row in qs.values(*columns):
            row["table"] = name
            collected.append(row)
    return one_row_per_pandaid(collected)
