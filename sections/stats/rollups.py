"""The stats section's counts from rollups (pandjango/rollups/, docs/rollups.md): the jobs
matrix when the request allows; None tells the query function to read the job tables."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pandjango.api.parameters import Query
from pandjango.rollups import reading


def matrix_counts(query: Query, row_field: str, col_field: str) -> tuple[Counter[tuple[Any, ...]], dict[str, Any]] | None:
    """Jobs per (row value, column value) over every job table, and meta.source/fresh_as_of."""
    used = reading.plan(query)
    if used is None or reading.rollup_for(used, [row_field, col_field]) is None:
        return None
    groups = reading.group_counts(used, [[row_field, col_field]])[0]
    return Counter({key: n for key, (n, _) in groups.items()}), reading.source_meta(used)


def direct() -> dict[str, Any]:
    return reading.source_meta(None)
