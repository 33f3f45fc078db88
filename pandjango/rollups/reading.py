"""Counting jobs from the rollups: when a request can be answered from them, and the counts.

A request is answered from rollups when they are on (rollups.enabled), fresh (the last run
started at most rollups.max_lag_seconds ago), the window does not reach the archive (its
start is within JOBSARCHIVED4's retention, so the direct path reads only the live tables),
no `table=` is chosen, and every filter is plain values (a|b, !a) of a rolled-up column.
The counts are then, for the same jobs the direct path counts:
- JOBSARCHIVED4 over the window's whole hours up to the last trusted bucket (the one
  ending before the mark minus the overlap): the coarsest rollup that has the columns;
- JOBSARCHIVED4 over the rest of the window (the partial first hour, the hours after the
  trusted ones): read directly, on its MODIFICATIONTIME index;
- the active tables (JOBSACTIVE4, JOBSWAITING4, JOBSDEFINED4): from the snapshot the
  refresher took with the mark (the rollups' Active* tables) when it is fresh (taken at most
  rollups.active_max_lag_seconds ago), over the window's whole hours, and live over the cut
  first hour (and the cut last one, when the window ends before the snapshot); otherwise
  live over the whole window, each without the PandaIDs a table before it holds
  (pandadb.jobs.job_querysets), as the direct path counts them.
An answer with the snapshot is the answer as of the snapshot: JOBSARCHIVED4 after the trusted
hours is read up to the snapshot's time only, so that a job archived since (counted active
by the snapshot) is not counted twice; the next run brings both up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.api.parameters import Query
from pandjango.pandadb.jobs import LIVE_TABLES, Window, archive_boundary, job_querysets
from pandjango.rawsql import fromrequest

from .models import ACTIVE, CODE_DIMENSIONS, DIMENSIONS, JOBS, ROLLUPS, SNAPSHOT_OF, Counts, RollupState
from .refresh import HOUR, ROLLED_TABLE, Groups, add_into, hour_of

# The filters a rollup can apply: each rolled-up column, as fromrequest reads them.
FILTERS = {name: "int list" if name == "jeditaskid" or name in CODE_DIMENSIONS else "str list" for name in DIMENSIONS}


@dataclass(frozen=True)
class Snapshot:
    """How the active tables are read when the snapshot is fresh."""

    hours: Window  # the snapshot's hours read (the buckets from start to end)
    live: tuple[Window, ...]  # the cut hours, read from the active tables
    edges: tuple[Window, ...]  # JOBSARCHIVED4 outside the trusted hours, up to the snapshot's time


@dataclass(frozen=True)
class Plan:
    """How one request's counts are read."""

    window: Window
    rolled: Window  # whole hours read from a rollup
    edges: tuple[Window, ...]  # the rest of the window, read from JOBSARCHIVED4
    q: Q  # the request's filters (Filter.q()), for the job tables and the rollups alike: their columns have the same names
    filtered: frozenset[str]  # the columns they filter on
    fresh_as_of: datetime
    snapshot: Snapshot | None  # None: the active tables are read live over the window


def fresh_as_of() -> datetime | None:
    """The start of the last complete refresher run, None before the first."""
    return RollupState.objects.filter(name=JOBS).values_list("mark", flat=True).first()


def marks() -> dict[str, datetime | None]:
    """The marks of the rollups (JOBS) and of the active jobs' snapshot (ACTIVE), in one read."""
    found = dict(RollupState.objects.filter(name__in=(JOBS, ACTIVE)).values_list("name", "mark"))
    return {JOBS: found.get(JOBS), ACTIVE: found.get(ACTIVE)}


def _ceil_hour(moment: datetime) -> datetime:
    floor = hour_of(moment)
    return floor if floor == moment else floor + HOUR


def plan(query: Query, tables: Sequence[str] | None = None) -> Plan | None:
    """How to count this request from rollups, or None when it must be answered directly."""
    config = settings.PANDJANGO["rollups"]
    window = query.window
    if not config["enabled"] or tables or window is None:
        return None
    params = fromrequest.in_list_params(query.filters, FILTERS)
    now = timezone.now()
    if params is None or window.start < archive_boundary(now):
        return None
    try:
        found = marks()
    except DatabaseError:  # our database unreachable: PanDA's can still answer
        return None
    mark = found[JOBS]
    if mark is None or (now - mark).total_seconds() > config["max_lag_seconds"]:
        return None
    trusted_until = hour_of(mark - timedelta(seconds=config["overlap_seconds"]))
    first, last = _ceil_hour(window.start), min(hour_of(window.end), trusted_until)
    if last <= first:
        return None
    edges = _spans((window.start, first), (last, window.end))
    filtered = frozenset(name.removesuffix("_not") for name in params)
    # The snapshot is used when the run that set the mark took it (a refresher without it
    # leaves an older one behind) and it is fresh.
    taken = found[ACTIVE]
    fresh = taken == mark and (now - mark).total_seconds() <= config["active_max_lag_seconds"]
    return Plan(window, Window(first, last), edges, query.q, filtered, mark, _snapshot(window, first, last, mark) if fresh else None)


def _spans(*bounds: tuple[datetime, datetime]) -> tuple[Window, ...]:
    return tuple(Window(a, b) for a, b in bounds if a < b)


def _snapshot(window: Window, first: datetime, last: datetime, taken: datetime) -> Snapshot:
    """The snapshot's hours of the window (from its first whole hour on; up to its end when
    it ends after the snapshot, else to its last whole hour), the cut hours the snapshot
    cannot split, and JOBSARCHIVED4 after the trusted hours up to the snapshot's time."""
    end = window.end if window.end >= taken else hour_of(window.end)
    return Snapshot(Window(first, end), _spans((window.start, first), (end, window.end)), _spans((window.start, first), (last, min(window.end, taken))))


def source_meta(used: Plan | None, live: bool = True) -> dict[str, Any]:
    """meta.source and meta.fresh_as_of of an answer (a direct answer is as fresh as its
    generated_at, which output.envelope gives it), and for an answer from rollups that
    counts the active tables, meta.active_source: "snapshot" or "live"."""
    if used is None:
        return {"source": "direct"}
    meta = {"source": "rollup", "fresh_as_of": iso(used.fresh_as_of)}
    if live:
        meta["active_source"] = "live" if used.snapshot is None else "snapshot"
    return meta


def _add(groups: Groups, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    for row in rows:
        add_into(groups, tuple(row[c] for c in columns), row["n"], row["example"])


def _grouped(qs: QuerySet[Any], columns: Sequence[str], count: Any, example: str) -> QuerySet[Any]:
    return qs.order_by().values(*columns).annotate(n=count, example=Max(example))


def rollup_for(used: Plan, columns: Iterable[str]) -> type[Counts] | None:
    """The coarsest rollup holding these columns and the filtered ones, or None."""
    needed = set(columns) | used.filtered
    return next((model for model in ROLLUPS if needed <= set(model.dimensions)), None)


def group_counts(used: Plan, column_sets: Sequence[Sequence[str]], live: bool = True, **only: Any) -> list[Groups]:
    """Per set of columns, the jobs counted by their values, with the highest PandaID of each
    group: the rollups and the partial hours of JOBSARCHIVED4, and with `live` the active
    tables. The job tables are grouped once, by every column of the sets, and each set's
    groups are added up from those. `only` narrows the selection (jobstatus="failed"). With
    `live` and a fresh snapshot, the active tables' whole hours are the snapshot's and the
    rest is read as of its time (Snapshot). The caller checked rollup_for()."""
    extra = Q(**only)
    snapshot = used.snapshot if live else None
    counted: list[Groups] = []
    for columns in column_sets:
        model = rollup_for(used, [*columns, *only])
        assert model is not None
        hours = [(model, used.rolled)] + ([(SNAPSHOT_OF[model], snapshot.hours)] if snapshot else [])
        groups: Groups = {}
        for counts, span in hours:
            rolled = counts._default_manager.filter(used.q & extra, bucket__gte=span.start, bucket__lt=span.end)
            _add(groups, _grouped(rolled, columns, Sum("n"), "max_pandaid"), columns)
        counted.append(groups)
    every = list(dict.fromkeys(c for columns in column_sets for c in columns))
    edges = snapshot.edges if snapshot else used.edges
    read = [qs for edge in edges for _, qs in job_querysets(used.q & extra, edge, [ROLLED_TABLE])]
    if live:
        spans = snapshot.live if snapshot else (used.window,)
        read += [qs for span in spans for name, qs in job_querysets(used.q & extra, span, LIVE_TABLES) if name != ROLLED_TABLE]
    finest: Groups = {}
    for qs in read:
        _add(finest, _grouped(qs, every, Count("pandaid"), "pandaid"), every)
    for columns, groups in zip(column_sets, counted, strict=True):
        positions = [every.index(c) for c in columns]
        for key, (n, example) in finest.items():
            add_into(groups, tuple(key[i] for i in positions), n, example)
    return counted


def status() -> dict[str, Any]:
    """/healthz's view of the rollups: off, never run, fresh or stale, and the lag."""
    config = settings.PANDJANGO["rollups"]
    if not config["enabled"]:
        return {"state": "off"}
    try:
        mark = fresh_as_of()
    except DatabaseError as exc:  # our database down: /healthz says so under "database"
        return {"state": "unavailable", "error": type(exc).__name__}
    if mark is None:
        return {"state": "never run", "fresh_as_of": None, "lag_seconds": None}
    lag = round((timezone.now() - mark).total_seconds(), 1)
    return {"state": "stale" if lag > config["max_lag_seconds"] else "ok", "fresh_as_of": iso(mark), "lag_seconds": lag}
