"""The production section's counts from rollups (pandjango/rollups/, docs/rollups.md): the jobs
summary, the facets of rolled-up fields and the errors summary, when the request allows;
None tells the query function to read the job tables directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pandjango.api.parameters import Query
from pandjango.rollups import reading, refresh

# What an answer from rollups gives the query functions: the groups of each count asked
# for (their values -> [jobs, highest PandaID]), and the answer's meta.source/fresh_as_of.
Rolled = tuple[list[refresh.Groups], dict[str, Any]]


def _counts(query: Query, tables: Sequence[str] | None, column_sets: Sequence[Sequence[str]], live: bool = True, **only: Any) -> Rolled | None:
    used = reading.plan(query, tables)
    if used is None or any(reading.rollup_for(used, [*columns, *only]) is None for columns in column_sets):
        return None
    return reading.group_counts(used, column_sets, live, **only), reading.source_meta(used, live)


def job_groups(query: Query, tables: Sequence[str] | None, groupby: Sequence[str]) -> Rolled | None:
    """The jobs summary's groups: every job table, as job_querysets reads them."""
    return _counts(query, tables, [groupby])


def facet_groups(query: Query, tables: Sequence[str] | None, fields: Sequence[str]) -> Rolled | None:
    """One count per facet field, when every field is rolled up (transformation is not): the
    jobs grouped once by all the fields (one read of each rollup instead of one per field),
    each field's counts added up from those groups."""
    rolled = _counts(query, tables, [fields])
    if rolled is None:
        return None
    (together,), meta = rolled
    return [reading.projected(together, fields, [name]) for name in fields], meta


def failed_groups(query: Query, tables: Sequence[str] | None, column_sets: Sequence[Sequence[str]]) -> Rolled | None:
    """The failed jobs' groups: failed is a final state, so the active tables hold none and
    the direct path reads only the final tables (within the rollups' windows, JOBSARCHIVED4)."""
    return _counts(query, tables, column_sets, live=False, jobstatus="failed")


def direct() -> dict[str, Any]:
    return reading.source_meta(None)
