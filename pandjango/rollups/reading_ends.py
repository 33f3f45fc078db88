"""Counting the jobs that ended in a window (by ENDTIME) from EndCount: the time series of
jobs finished and failed, and the per-queue efficiency.

The direct path counts the finished or failed jobs of JOBSARCHIVED4 with ENDTIME in
[start, end) and MODIFICATIONTIME >= start (the bound the index range is read on). EndCount
keeps them per hour of MODIFICATIONTIME and 5-minute unit of ENDTIME, with the first and last
MODIFICATIONTIME of each group. The same jobs are counted:
- the 5-minute units wholly in the window, from EndCount over the modification hours from
  the hour of `start` on: the trusted ones, and those after them when the active jobs'
  snapshot is fresh (its run recomputed them: the answer as of that run, as reading.Snapshot's);
  otherwise JOBSARCHIVED4 is read live from the end of the trusted hours (reading.Plan's tail).
  In the hour of `start`, a group modified wholly before it is left out (the direct path
  leaves those jobs out), one modified wholly after it counted; a group modified both before
  and after `start` (a job that ended after it was last modified) has its unit read live;
- the units the window cuts (at a start or an end not on 5 minutes), and those, read live
  from JOBSARCHIVED4: ENDTIME in the unit's part of the window and MODIFICATIONTIME between
  the first (at least `start`) and the last of the unit's groups in EndCount, which bounds
  the read on the MODIFICATIONTIME index (PanDA has none on ENDTIME).
The coarser rollups are read first, the same way, each over the whole units of its size
still to count and only when it has every column the request needs: EndHourCount (per hour
of ENDTIME, by state and queue) for the window's whole hours when the bins are hours or days,
then EndStateCount (per 5 minutes, by state only) for the whole 5-minute units left. A unit a
coarser rollup cannot tell apart (modified both before and after the start) goes to the next.
The live reads are returned as querysets, for the caller to count as its direct path does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from pandjango.api.parameters import Query
from pandjango.pandadb.epoch import EpochBin
from pandjango.pandadb.jobs import Window, archive_boundary, job_querysets
from pandjango.pandadb.models import JobColumns
from pandjango.rawsql import fromrequest

from . import reading
from .models import ACTIVE, END_ROLLUPS, END_UNIT_SECONDS, JOBS, EndCount, EndCounts
from .refresh import ROLLED_TABLE, hour_of

# The filters EndCount can apply: its columns, as fromrequest reads them.
FILTERS = dict.fromkeys(EndCount.dimensions, "str list")

# Sums per group: (bin start or nothing, *columns) -> {sum name: value}
Sums = dict[tuple[Any, ...], Counter[str]]


@dataclass(frozen=True)
class EndPlan:
    """How one request's ended jobs are counted."""

    window: Window
    q: Q  # the request's filters (Filter.q()): EndCount's columns have the job tables' names
    filtered: frozenset[str]  # the columns they filter on
    rolled_until: datetime | None  # the rollups' hours before this; None: every hour (the snapshot's run)
    fresh_as_of: datetime


@dataclass
class Ended:
    """The ended jobs of a window: sums from EndCount, and the rows of JOBSARCHIVED4 it cannot count."""

    sums: Sums
    live: list[QuerySet[JobColumns]] = field(default_factory=list)


def plan(query: Query, columns: Sequence[str] = ()) -> EndPlan | None:
    """How to count this request's ended jobs from EndCount, or None when it must be read
    directly: the rollups off, stale or not yet trusted from the hour of the window's start, a
    window reaching the archive, a filter that is not plain values of EndCount's columns,
    `columns` not all EndCount's."""
    config = settings.PANDJANGO["rollups"]
    window = query.window
    if not config["enabled"] or window is None or not set(columns) <= set(EndCount.dimensions):
        return None
    now = timezone.now()
    params = fromrequest.in_list_params(query.filters, FILTERS)
    if params is None or window.start < archive_boundary(now):
        return None
    try:
        found = reading.marks()
    except DatabaseError:  # our database unreachable: PanDA's can still answer
        return None
    mark = found[JOBS]
    # The direct path reads every job modified since the start, whenever the window ends.
    hours = reading.trusted_hours(Window(window.start, max(now, window.end)), mark)
    if hours is None:
        return None
    assert mark is not None  # trusted_hours has none without a mark
    rolled_until = None if reading.snapshot_fresh(found[ACTIVE], mark, now) else hours[0].end
    return EndPlan(window, query.q, frozenset(name.removesuffix("_not") for name in params), rolled_until, mark)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _floor(moment: datetime, unit: int = END_UNIT_SECONDS) -> datetime:
    return datetime.fromtimestamp(math.floor(moment.timestamp() / unit) * unit, UTC)


def _ceil(moment: datetime, unit: int = END_UNIT_SECONDS) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / unit) * unit, UTC)


def _unit(endbin: int) -> datetime:
    return datetime.fromtimestamp(endbin, UTC)


def _groups(model: type[EndCounts], used: EndPlan, states: Sequence[str]) -> QuerySet[Any]:
    """`model`'s groups of these states passing the request's filters, modified from the hour
    of the window's start on (up to rolled_until)."""
    qs = model._default_manager.filter(used.q & Q(jobstatus__in=states), bucket__gte=hour_of(used.window.start))
    return qs if used.rolled_until is None else qs.filter(bucket__lt=used.rolled_until)


def ended(used: EndPlan, states: Sequence[str], columns: Sequence[str], bin_seconds: int | None, sums: Sequence[str]) -> Ended:
    """The jobs of `states` that ended in the window: `sums` per bin of `bin_seconds` (a
    multiple of 5 minutes; None: the whole window) and value of `columns`, and the querysets
    of JOBSARCHIVED4 to count beside them. The window's whole hours of ENDTIME come from the
    coarsest rollup whose unit divides the bins and that has the columns, the rest of its
    whole 5-minute units (and the hours the coarser rollup could not tell apart) from
    EndCount; the cut units are read live."""
    window = used.window
    needed = set(columns) | used.filtered
    levels = [m for m in END_ROLLUPS if needed <= set(m.dimensions) and (bin_seconds is None or bin_seconds % m.unit == 0)]
    ranges = [(_ceil(window.start), _floor(window.end))]  # ENDTIME ranges of whole units still to count
    result = Ended({})
    mixed: set[datetime] = set()
    for model in levels:
        if model is levels[-1]:
            mixed = _counted(model, used, states, ranges, columns, bin_seconds, sums, result.sums)
            break
        # A coarser rollup over its whole units of what is left; the rest, and the units it
        # could not tell apart, left to the next.
        whole, rest = _whole_units(ranges, model.unit)
        mixed = _counted(model, used, states, whole, columns, bin_seconds, sums, result.sums)
        ranges = [*rest, *((unit, unit + timedelta(seconds=model.unit)) for unit in mixed)]
    cut = {_floor(moment) for moment in (window.start, window.end) if _floor(moment) != moment}  # the units the window cuts
    result.live = _live_units(used, states, sorted(cut | mixed)) + _tail(used, states)
    return result


def _whole_units(ranges: Sequence[tuple[datetime, datetime]], unit: int) -> tuple[list[tuple[datetime, datetime]], list[tuple[datetime, datetime]]]:
    """The parts of `ranges` made of whole units of `unit` seconds, and the rest."""
    whole: list[tuple[datetime, datetime]] = []
    rest: list[tuple[datetime, datetime]] = []
    for a, b in ranges:
        first, last = _ceil(a, unit), _floor(b, unit)
        if first < last:
            whole.append((first, last))
            rest += [(a, first), (last, b)]
        else:
            rest.append((a, b))
    return whole, [(a, b) for a, b in rest if a < b]


def _counted(
    model: type[EndCounts], used: EndPlan, states: Sequence[str], ranges: Sequence[tuple[datetime, datetime]],
    columns: Sequence[str], bin_seconds: int | None, sums: Sequence[str], into: Sums,
) -> set[datetime]:
    """`model`'s groups with ENDTIME units in `ranges` added into `into`, but those of the
    units holding a group of the hour the window's start cuts that was modified both before
    and after the start: those units, returned, are left to a finer count."""
    ranges = [(a, b) for a, b in ranges if a < b]
    if not ranges:
        return set()
    start = used.window.start
    within = Q()
    for a, b in ranges:
        within |= Q(endbin__gte=_epoch(a), endbin__lt=_epoch(b))
    groups = _groups(model, used, states).filter(within)
    mixed: set[datetime] = set()
    first = hour_of(start)
    if first < start:  # the hour the start cuts: its groups one by one
        rows = list(groups.filter(bucket=first).values("endbin", "first_modified", "last_modified", *columns, *sums))
        mixed = {_unit(row["endbin"]) for row in rows if row["first_modified"] < start <= row["last_modified"]}
        counted = [row for row in rows if row["first_modified"] >= start and _unit(row["endbin"]) not in mixed]
        _add(into, ((_binned(row["endbin"], bin_seconds, row, columns), row) for row in counted), sums)
        groups = groups.filter(bucket__gt=first)
    rolled = groups.exclude(endbin__in=[_epoch(unit) for unit in mixed])
    keys = (*(("bin",) if bin_seconds else ()), *columns)
    if bin_seconds:
        rolled = rolled.annotate(bin=EpochBin("endbin", bin_seconds))
    rows = rolled.values(*keys).annotate(**{f"sum_{name}": Sum(name) for name in sums}).order_by()
    _add(into, ((tuple(row[k] for k in keys), {name: row[f"sum_{name}"] for name in sums}) for row in rows), sums)
    return mixed


def _binned(endbin: int, bin_seconds: int | None, row: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    return (*((endbin // bin_seconds * bin_seconds,) if bin_seconds else ()), *(row[c] for c in columns))


def _add(into: Sums, rows: Any, sums: Sequence[str]) -> None:
    for key, values in rows:
        into.setdefault(key, Counter()).update({name: int(values[name] or 0) for name in sums})


def _archived(q: Q, states: Sequence[str], since: datetime) -> QuerySet[JobColumns]:
    """JOBSARCHIVED4's jobs of these states modified since `since`, as the direct path selects them."""
    ((_, qs),) = job_querysets(q, None, [ROLLED_TABLE], since=since)
    return qs.filter(jobstatus__in=states)


def _live_units(used: EndPlan, states: Sequence[str], units: list[datetime]) -> list[QuerySet[JobColumns]]:
    """JOBSARCHIVED4 over each unit's part of the window, between the first and the last
    MODIFICATIONTIME of the unit's groups in EndCount (none: no job to read)."""
    if not units:
        return []
    window = used.window
    bounds = _groups(EndCount, used, states).filter(endbin__in=[_epoch(u) for u in units]).values("endbin").annotate(
        lo=Min("first_modified"), hi=Max("last_modified")
    ).order_by()
    read = []
    for row in bounds:
        unit = _unit(row["endbin"])
        qs = _archived(used.q, states, max(window.start, row["lo"])).filter(
            modificationtime__lte=row["hi"], endtime__gte=max(unit, window.start), endtime__lt=min(unit + timedelta(seconds=END_UNIT_SECONDS), window.end)
        )
        read.append(qs)
    return read


def _tail(used: EndPlan, states: Sequence[str]) -> list[QuerySet[JobColumns]]:
    """Without the snapshot, JOBSARCHIVED4 modified after the trusted hours, read live."""
    if used.rolled_until is None:
        return []
    window = used.window
    return [_archived(used.q, states, used.rolled_until).filter(endtime__gte=window.start, endtime__lt=window.end)]

