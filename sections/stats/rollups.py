"""The stats section's counts from rollups (pandjango/rollups/, docs/rollups.md): the jobs
matrix, and the jobs that ended in a window (the time series of jobs finished and failed,
the per-queue efficiency), when the request allows; None tells the query function to read
the job tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import QuerySet

from pandjango.api.parameters import Query
from pandjango.pandadb.models import JobColumns
from pandjango.rollups import reading, reading_ends
from pandjango.rollups.models import ENDED_STATES, EndCount

# Counts or sums from the rollups, the rows of JOBSARCHIVED4 they leave to the direct
# path's own counting, and meta.source/fresh_as_of.
FromRollups = tuple[Any, list[QuerySet[JobColumns]], dict[str, Any]]


def matrix_counts(query: Query, row_field: str, col_field: str) -> tuple[Counter[tuple[Any, ...]], dict[str, Any]] | None:
    """Jobs per (row value, column value) over every job table, and meta.source/fresh_as_of."""
    used = reading.plan(query)
    if used is None or reading.rollup_for(used, [row_field, col_field]) is None:
        return None
    groups = reading.group_counts(used, [[row_field, col_field]])[0]
    return Counter({key: n for key, (n, _) in groups.items()}), reading.source_meta(used)


def ended_counts(query: Query, state: str, bin_seconds: int, groupby: str) -> FromRollups | None:
    """The jobs that ended in `state` per (bin start, value of groupby) or (bin start,)."""
    columns = [groupby] if groupby else []
    used = reading_ends.plan(query, columns)
    if used is None:
        return None
    ended = reading_ends.ended(used, [state], columns, bin_seconds, ["n"])
    return Counter({key: sums["n"] for key, sums in ended.sums.items()}), ended.live, reading.source_meta(used)


def ended_site_sums(query: Query) -> FromRollups | None:
    """Per computingsite, the sums of the per-queue efficiency (finished, failed, wall time
    and CPU time) of the jobs that ended in the window."""
    used = reading_ends.plan(query, ["computingsite"])
    if used is None:
        return None
    ended = reading_ends.ended(used, ENDED_STATES, ["computingsite", "jobstatus"], None, EndCount.sums)
    sites: dict[str | None, Counter[str]] = defaultdict(Counter)
    for (site, status), sums in ended.sums.items():
        sites[site][status] += sums["n"]
        sites[site].update({name: sums[name] for name in EndCount.sums if name != "n"})
    return sites, ended.live, reading.source_meta(used)


def direct() -> dict[str, Any]:
    return reading.source_meta(None)
