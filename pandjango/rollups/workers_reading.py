"""Counting Harvester workers from the worker rollups (workers.py says what they hold): when a
window can be answered from them, and the counts, for the autopilot's summaries.

With the live workers' snapshot fresh (taken by the run that set the workers' mark, at most
rollups.active_max_lag_seconds ago: reading.snapshot_fresh, the active jobs' rule), an
answer is as of that run: the window's whole hours from WorkerCount (settled) and
LiveWorkerCount (live), up to its end when it ends after the run (the run counted the hours
up to its start), and only its cut hours (the first; the last when the window ends before
the run) from HARVESTER_WORKERS. No check of the trusted hours then: a settled worker reported
again since the run is counted where the run found it, as a live worker that ended since is
counted live. Otherwise the live workers are read over the window and the check below guards
the settled ones: the direct answer at any moment."""

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
from .models import LIVE_WORKERS, WORKERS, LiveWorkerCount, WorkerCount, WorkerCounts
from .refresh import horizon
from .workers import live, ran_no_job, settled, workers_in


@dataclass(frozen=True)
class LiveSnapshot:
    """How the workers are counted with the live workers' snapshot fresh: `hours` from
    WorkerCount and LiveWorkerCount, `cut` (settled and live) from HARVESTER_WORKERS."""

    hours: Window
    cut: tuple[Window, ...]


@dataclass(frozen=True)
class WorkerPlan:
    """How one request's worker counts are read: with the live workers' snapshot fresh, as
    `snapshot` says; otherwise `rolled` from WorkerCount (the settled workers), `edges` (the
    rest of the window) from HARVESTER_WORKERS, the live workers over the whole window from
    HARVESTER_WORKERS."""

    window: Window
    rolled: Window
    edges: tuple[Window, ...]
    fresh_as_of: datetime
    snapshot: LiveSnapshot | None = None  # None: the live workers are read over the window

    @property
    def live_source(self) -> str:
        """meta.live_source: where the answer's live workers were counted."""
        return "live" if self.snapshot is None else "snapshot"


def plan(window: Window | None) -> WorkerPlan | None:
    """How to count the workers in this window from rollups, or None when they must be read
    directly: rollups off, stale or never run, a window starting before the horizon, or no
    whole trusted hour in it."""
    if not settings.PANDJANGO["rollups"]["enabled"] or window is None or window.start < horizon(timezone.now()):
        return None
    try:
        found = reading.marks((WORKERS, LIVE_WORKERS))
    except DatabaseError:  # our database unreachable: PanDA's can still answer
        return None
    mark = found[WORKERS]
    hours = reading.trusted_hours(window, mark)
    if hours is None:
        return None
    assert mark is not None  # trusted_hours has none without a mark
    rolled, edges = hours
    snapshot = None
    if reading.snapshot_fresh(found[LIVE_WORKERS], mark, timezone.now()):
        # The job snapshot's spans: whole hours up to the window's end if it ends after the run.
        spans = reading.snapshot_spans(window, rolled.start, rolled.end, mark)
        snapshot = LiveSnapshot(spans.hours, spans.cut)
    return WorkerPlan(window, rolled, edges, mark, snapshot)


def counts(used: WorkerPlan, columns: Sequence[str], no_jobs: bool = False) -> list[dict[str, Any]] | None:
    """The workers in the window counted per value of `columns`: rows of those columns and
    `count` (with `no_jobs`, also the workers that ran no job), biggest count first, as the
    direct path orders them. Without the snapshot, None when a settled worker changed since
    the last run (its hour now holds fewer workers than the rollup says): the caller reads
    directly."""
    counted = {"count": Count("*"), **({"no_jobs": Count("workerid", filter=ran_no_job())} if no_jobs else {})}
    if used.snapshot is not None:
        whole = [_rolled(model, used.snapshot.hours, columns, no_jobs) for model in (WorkerCount, LiveWorkerCount)]
        cut = [list(workers_in(edge).values(*columns).annotate(**counted).order_by()) for edge in used.snapshot.cut]
        return _added_up(columns, no_jobs, [*whole, *cut])
    in_rolled = Q(lastupdate__gte=used.rolled.start, lastupdate__lt=used.rolled.end)
    # The live workers grouped once, also by whether they lie in the trusted hours: the check
    # below needs those.
    trusted = Case(When(in_rolled, then=Value(1)), default=Value(0), output_field=IntegerField())
    live_rows = list(live(workers_in(used.window)).annotate(trusted=trusted).values(*columns, "trusted").annotate(**counted).order_by())
    rolled_rows = _rolled(WorkerCount, used.rolled, columns, no_jobs)
    live_in_rolled = sum(row["count"] for row in live_rows if row["trusted"])
    if workers_in(used.rolled).count() - live_in_rolled != sum(row["count"] for row in rolled_rows):
        return None
    edges = [list(settled(workers_in(edge)).values(*columns).annotate(**counted).order_by()) for edge in used.edges]
    return _added_up(columns, no_jobs, [rolled_rows, live_rows, *edges])


def _rolled(model: type[WorkerCounts], span: Window, columns: Sequence[str], no_jobs: bool) -> list[dict[str, Any]]:
    """A worker rollup's hours in `span` added up per value of `columns`."""
    summed = {"count": Sum("n"), **({"no_jobs": Sum("no_jobs")} if no_jobs else {})}
    return list(model._default_manager.filter(bucket__gte=span.start, bucket__lt=span.end).values(*columns).annotate(**summed).order_by())


def _added_up(columns: Sequence[str], no_jobs: bool, parts: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The rows of every part added up per value of `columns`, biggest count first."""
    totals = ("count", "no_jobs") if no_jobs else ("count",)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for rows in parts:
        for row in rows:
            group = groups.setdefault(tuple(row[c] for c in columns), [0] * len(totals))
            for i, name in enumerate(totals):
                group[i] += int(row[name] or 0)
    found = [{**dict(zip(columns, key, strict=True)), **dict(zip(totals, n, strict=True))} for key, n in groups.items()]
    return by_count(columns)(found, {})
