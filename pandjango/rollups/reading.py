"""Counting jobs from the rollups: when a request can be answered from them, and the counts.

A request is answered from rollups when they are on (rollups.enabled), fresh (the last run
started at most rollups.max_lag_seconds ago), the window does not reach the archive (its
start is within JOBSARCHIVED4's retention, so the direct path reads only the live tables),
no `table=` is chosen, and every filter is plain values (a|b, !a) of a rolled-up column.
The counts are then, for the same jobs the direct path counts:
- JOBSARCHIVED4 over the window's whole hours up to the last trusted bucket (the one
  ending before the mark minus the overlap): the coarsest rollup that has the columns;
- JOBSARCHIVED4 over the cut first hour: the exact rollup (models.EXACT, groups at their
  MODIFICATIONTIME), whose trusted hour it is;
- the active tables (JOBSACTIVE4, JOBSWAITING4, JOBSDEFINED4) and JOBSARCHIVED4 after the
  trusted hours: from the snapshot the refresher took with the mark when it is fresh (taken
  at most rollups.active_max_lag_seconds ago): the active tables from the snapshot (its
  coarsest table over the whole hours, its exact one over the cut hours), JOBSARCHIVED4 from
  the exact rollup up to the snapshot's time. Otherwise read live on their MODIFICATIONTIME
  index, each active table without the PandaIDs a table before it holds
  (pandadb.jobs.job_querysets), as the direct path counts them.
An answer with the snapshot is the answer as of the snapshot, without reading PanDA: a job
archived since (counted active by the snapshot) is not counted twice, one defined since
not yet; the next run brings both up to date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, Protocol

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.api.parameters import Query
from pandjango.pandadb.jobs import LIVE_TABLES, Window, archive_boundary, job_querysets
from pandjango.rawsql import fromrequest

from .models import ACTIVE, CODE_DIMENSIONS, DIMENSIONS, EXACT, JOBS, LIVE_WORKERS, PARTS, ROLLUPS, SNAPSHOT_OF, WORKERS, Counts, RollupState
from .refresh import HOUR, ROLLED_TABLE, Groups, add_into, hour_of

# The filters a rollup can apply: each rolled-up column, as fromrequest reads them.
FILTERS = {name: "int list" if name == "jeditaskid" or name in CODE_DIMENSIONS else "str list" for name in DIMENSIONS}


@dataclass(frozen=True)
class Snapshot:
    """How the active tables and JOBSARCHIVED4's recent hours are counted when the snapshot is fresh."""

    hours: Window  # the snapshot's whole hours read (its coarsest table)
    cut: tuple[Window, ...]  # the cut hours, from its exact table
    archived: tuple[Window, ...]  # JOBSARCHIVED4 outside the trusted hours up to the snapshot's time: the exact rollup


@dataclass(frozen=True)
class Plan:
    """How one request's counts are read."""

    window: Window
    rolled: Window  # whole hours read from a rollup
    first_hour: tuple[Window, ...]  # the cut first hour (none when the window starts on the hour): the exact rollup
    tail: tuple[Window, ...]  # the hours after the trusted ones: JOBSARCHIVED4 read live (without the snapshot)
    q: Q  # the request's filters (Filter.q()), for the job tables and the rollups alike: their columns have the same names
    filtered: frozenset[str]  # the columns they filter on
    fresh_as_of: datetime
    snapshot: Snapshot | None  # None: the active tables are read live over the window


def fresh_as_of(name: str = JOBS) -> datetime | None:
    """The start of the last complete refresher run (of the job rollups, or of `name`'s),
    None before the first."""
    return RollupState.objects.filter(name=name).values_list("mark", flat=True).first()


def marks(names: Sequence[str] = (JOBS, ACTIVE)) -> dict[str, datetime | None]:
    """The marks of these rows of rollups_state (by default the job rollups' and the active
    jobs' snapshot's), in one read; None for a part that never ran."""
    found = dict(RollupState.objects.filter(name__in=names).values_list("name", "mark"))
    return {name: found.get(name) for name in names}


def snapshot_fresh(taken: datetime | None, mark: datetime | None, now: datetime) -> bool:
    """Whether answers read the active jobs' snapshot taken at `taken`, the job rollups'
    mark being `mark`: the run that set the mark took it (a refresher without the snapshot
    leaves an older one behind), at most rollups.active_max_lag_seconds ago. The same rule
    for the live workers' snapshot and the workers' mark."""
    return taken == mark and _within(taken, now, settings.PANDJANGO["rollups"]["active_max_lag_seconds"])


def _ceil_hour(moment: datetime) -> datetime:
    floor = hour_of(moment)
    return floor if floor == moment else floor + HOUR


def _within(mark: datetime | None, now: datetime, seconds: int) -> bool:
    """Whether `mark` is at most `seconds` before `now` (a part within its lag)."""
    return mark is not None and (now - mark).total_seconds() <= seconds


def trusted_hours(window: Window, mark: datetime | None) -> tuple[Window, tuple[Window, ...]] | None:
    """The window's whole hours that rollups as of `mark` hold exactly (those ending before
    mark minus the overlap), and the rest of the window; None when the rollups never ran or
    are stale, or no such hour lies in the window."""
    config = settings.PANDJANGO["rollups"]
    if mark is None or not _within(mark, timezone.now(), config["max_lag_seconds"]):
        return None
    trusted_until = hour_of(mark - timedelta(seconds=config["overlap_seconds"]))
    first, last = _ceil_hour(window.start), min(hour_of(window.end), trusted_until)
    if last <= first:
        return None
    return Window(first, last), _spans((window.start, first), (last, window.end))


def plan(query: Query, tables: Sequence[str] | None = None) -> Plan | None:
    """How to count this request from rollups, or None when it must be answered directly."""
    config = settings.PANDJANGO["rollups"]
    window = query.window
    if not config["enabled"] or tables or window is None:
        return None
    params = fromrequest.in_list_params(query.filters, FILTERS)
    if params is None or window.start < archive_boundary(timezone.now()):
        return None
    try:
        found = marks()
    except DatabaseError:  # our database unreachable: PanDA's can still answer
        return None
    mark = found[JOBS]
    hours = trusted_hours(window, mark)
    if hours is None:
        return None
    assert mark is not None  # trusted_hours has none without a mark
    rolled, _ = hours
    filtered = frozenset(name.removesuffix("_not") for name in params)
    snapshot = snapshot_spans(window, rolled.start, rolled.end, mark) if snapshot_fresh(found[ACTIVE], mark, timezone.now()) else None
    first_hour, tail = _spans((window.start, rolled.start)), _spans((rolled.end, window.end))
    return Plan(window, rolled, first_hour, tail, query.q, filtered, mark, snapshot)


def _spans(*bounds: tuple[datetime, datetime]) -> tuple[Window, ...]:
    return tuple(Window(a, b) for a, b in bounds if a < b)


def snapshot_spans(window: Window, first: datetime, last: datetime, taken: datetime) -> Snapshot:
    """The snapshot's whole hours of the window (from its first whole hour on; up to its end
    when it ends after the snapshot, else to its last whole hour), its cut hours, and
    JOBSARCHIVED4 after the trusted hours up to the snapshot's time. The live workers'
    snapshot has the same hours and cut hours (workers_reading.py)."""
    end = window.end if window.end >= taken else hour_of(window.end)
    return Snapshot(Window(first, end), _spans((window.start, first), (end, window.end)), _spans((last, min(window.end, taken))))


class Marked(Protocol):
    """A plan of reading from rollups: the job rollups' Plan, or the workers' WorkerPlan."""

    @property
    def fresh_as_of(self) -> datetime: ...


def source_meta(used: Marked | None, live: bool = True) -> dict[str, Any]:
    """meta.source and meta.fresh_as_of of an answer (a direct answer is as fresh as its
    generated_at, which output.envelope gives it), and for an answer from rollups that
    counts the active tables, meta.active_source: "snapshot" or "live"."""
    if used is None:
        return {"source": "direct"}
    meta = {"source": "rollup", "fresh_as_of": iso(used.fresh_as_of)}
    if live and isinstance(used, Plan):  # the job rollups' (the workers' have no snapshot)
        meta["active_source"] = "live" if used.snapshot is None else "snapshot"
    return meta


def _add(groups: Groups, rows: Iterable[tuple[Any, ...]], columns: Sequence[str]) -> None:
    """Rows of (*columns, jobs, highest PandaID) added into `groups`."""
    width = len(columns)
    for row in rows:
        add_into(groups, row[:width], row[width], row[width + 1])


def _grouped(qs: QuerySet[Any], columns: Sequence[str], count: Any, example: str) -> QuerySet[Any]:
    """Tuples rather than dicts: an answer adds up thousands of these rows."""
    return qs.order_by().values(*columns).annotate(n=count, example=Max(example)).values_list(*columns, "n", "example")


def rollup_for(used: Plan, columns: Iterable[str]) -> type[Counts] | None:
    """The coarsest rollup holding these columns and the filtered ones, or None."""
    needed = set(columns) | used.filtered
    return next((model for model in ROLLUPS if needed <= set(model.dimensions)), None)


def group_counts(used: Plan, column_sets: Sequence[Sequence[str]], live: bool = True, **only: Any) -> list[Groups]:
    """Per set of columns, the jobs counted by their values, with the highest PandaID of each
    group: the rollups and the rest of JOBSARCHIVED4 (from the exact rollup up to the
    snapshot's time while it is fresh, live otherwise), and with `live` the active tables
    (Plan, Snapshot). The whole hours are read from the coarsest rollup per set; everything else
    (the exact rollups, the job tables) is grouped once, by every column of the sets, and
    each set's groups are added up from those. `only` narrows the selection
    (jobstatus="failed"). The caller checked rollup_for()."""
    extra = Q(**only)
    snapshot = used.snapshot
    counted: list[Groups] = []
    for columns in column_sets:
        model = rollup_for(used, [*columns, *only])
        assert model is not None
        hours = [(model, used.rolled)] + ([(SNAPSHOT_OF[model], snapshot.hours)] if snapshot and live else [])
        groups: Groups = {}
        for counts, span in hours:
            _add(groups, _grouped(_between(counts, used.q & extra, span), columns, Sum("n"), "max_pandaid"), columns)
        counted.append(groups)
    every = list(dict.fromkeys(c for columns in column_sets for c in columns))
    exact = [(EXACT, span) for span in used.first_hour]
    if snapshot:  # JOBSARCHIVED4 after the trusted hours as of the snapshot's run, even without the active tables
        exact += [(EXACT, span) for span in snapshot.archived] + ([(SNAPSHOT_OF[EXACT], span) for span in snapshot.cut] if live else [])
    read = [_grouped(_between(counts, used.q & extra, span), every, Sum("n"), "max_pandaid") for counts, span in exact]
    if snapshot is None:
        jobs = [qs for span in used.tail for _, qs in job_querysets(used.q & extra, span, [ROLLED_TABLE])]
        if live:
            jobs += [qs for name, qs in job_querysets(used.q & extra, used.window, LIVE_TABLES) if name != ROLLED_TABLE]
        read += [_grouped(qs, every, Count("pandaid"), "pandaid") for qs in jobs]
    finest: Groups = {}
    for rows in read:
        _add(finest, rows, every)
    for columns, groups in zip(column_sets, counted, strict=True):
        projected(finest, every, columns, groups)
    return counted


def projected(source: Groups, source_columns: Sequence[str], columns: Sequence[str], into: Groups | None = None) -> Groups:
    """The groups of `source` (by `source_columns`) added up by `columns` (into `into`'s)."""
    groups: Groups = into if into is not None else {}
    pick = _picker([source_columns.index(c) for c in columns])
    for key, (n, example) in source.items():
        add_into(groups, pick(key), n, example)
    return groups


def _picker(positions: Sequence[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The values at `positions` of a key, as a key: itemgetter's speed (the facets project
    thousands of groups per field) with a tuple whatever the number of positions."""
    if len(positions) == 1:
        (position,) = positions
        return lambda key: (key[position],)
    return itemgetter(*positions) if positions else lambda key: ()


def _between(counts: type[Counts], q: Q, span: Window) -> QuerySet[Any]:
    return counts._default_manager.filter(q, bucket__gte=span.start, bucket__lt=span.end)


def status() -> dict[str, Any]:
    """/healthz's view of the rollups: off, unavailable, never run, ok or stale, and the lag,
    of the job rollups at the top (what clients read since before the other parts) and of
    each part (PARTS) under "parts"."""
    config = settings.PANDJANGO["rollups"]
    if not config["enabled"]:
        return {"state": "off", "parts": {name: {"state": "off"} for name in PARTS}}
    try:
        found = marks(PARTS)
    except DatabaseError as exc:  # our database down: /healthz says so under "database"
        failed = {"state": "unavailable", "error": type(exc).__name__}
        return {**failed, "parts": {name: dict(failed) for name in PARTS}}
    now = timezone.now()
    fresh = {
        JOBS: _within(found[JOBS], now, config["max_lag_seconds"]),
        ACTIVE: snapshot_fresh(found[ACTIVE], found[JOBS], now),
        WORKERS: _within(found[WORKERS], now, config["max_lag_seconds"]),
        LIVE_WORKERS: snapshot_fresh(found[LIVE_WORKERS], found[WORKERS], now),
    }
    parts = {name: _part_status(found[name], now, fresh[name]) for name in PARTS}
    return {**parts[JOBS], "parts": parts}


def _part_status(mark: datetime | None, now: datetime, fresh: bool) -> dict[str, Any]:
    if mark is None:
        return {"state": "never run", "fresh_as_of": None, "lag_seconds": None}
    lag = round((now - mark).total_seconds(), 1)
    return {"state": "ok" if fresh else "stale", "fresh_as_of": iso(mark), "lag_seconds": lag}
