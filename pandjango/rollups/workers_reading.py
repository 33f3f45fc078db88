"""Counting Harvester workers from the worker rollups (workers.py says what they hold): when a
window can be answered from them, and the counts, for the autopilot's summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from pandjango.pandadb.jobs import Window
from pandjango.rawsql.jobsql import by_count

from . import reading
from .models import WORKERS, WorkerCount
from .refresh import horizon
from .workers import live, ran_no_job, settled, workers_in


@dataclass(frozen=True)
class WorkerPlan:
    """How one request's worker counts are read: `rolled` from WorkerCount (the settled
    workers), `edges` (the rest of the window) from HARVESTER_WORKERS, the live workers over
    the whole window from HARVESTER_WORKERS."""

    window: Window
    rolled: Window
    edges: tuple[Window, ...]
    fresh_as_of: datetime


def plan(window: Window | None) -> WorkerPlan | None:
    """How to count the workers in this window from rollups, or None when they must be read
    directly: rollups off, stale or never run, a window starting before the horizon, or no
    whole trusted hour in it."""
    if not settings.PANDJANGO["rollups"]["enabled"] or window is None or window.start < horizon(timezone.now()):
        return None
    try:
        mark = reading.fresh_as_of(WORKERS)
    except DatabaseError:  # our database unreachable: PanDA's can still answer
        return None
    hours = reading.trusted_hours(window, mark)
    if hours is None:
        return None
    assert mark is not None  # trusted_hours has none without a mark
    rolled, edges = hours
    return WorkerPlan(window, rolled, edges, mark)


def counts(used: WorkerPlan, columns: Sequence[str], no_jobs: bool = False) -> list[dict[str, Any]] | None:
    """The workers in the window counted per value of `columns`: rows of those columns and
    `count` (with `no_jobs`, also the workers that ran no job), biggest count first, as the
    direct path orders them. None when a settled worker changed since the last run (its hour
    now holds fewer workers than the rollup says): the caller reads directly."""
    totals = ("count", "no_jobs") if no_jobs else ("count",)
    counted = {"count": Count("*"), **({"no_jobs": Count("workerid", filter=ran_no_job())} if no_jobs else {})}
    in_rolled = Q(lastupdate__gte=used.rolled.start, lastupdate__lt=used.rolled.end)
    # The live workers grouped once, also by whether they lie in the trusted hours: the check
    # below needs those.
    trusted = Case(When(in_rolled, then=Value(1)), default=Value(0), output_field=IntegerField())
    live_rows = list(live(workers_in(used.window)).annotate(trusted=trusted).values(*columns, "trusted").annotate(**counted).order_by())
    rolled_rows = list(
        WorkerCount.objects.filter(bucket__gte=used.rolled.start, bucket__lt=used.rolled.end)
        .values(*columns)
        .annotate(count=Sum("n"), **({"no_jobs": Sum("no_jobs")} if no_jobs else {}))
        .order_by()
    )
    live_in_rolled = sum(row["count"] for row in live_rows if row["trusted"])
    if workers_in(used.rolled).count() - live_in_rolled != sum(row["count"] for row in rolled_rows):
        return None
    edges = [list(settled(workers_in(edge)).values(*columns).annotate(**counted).order_by()) for edge in used.edges]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for rows in (rolled_rows, live_rows, *edges):
        for row in rows:
            group = groups.setdefault(tuple(row[c] for c in columns), [0] * len(totals))
            for i, name in enumerate(totals):
                group[i] += int(row[name] or 0)
    found = [{**dict(zip(columns, key, strict=True)), **dict(zip(totals, n, strict=True))} for key, n in groups.items()]
    return by_count(columns)(found, {})
