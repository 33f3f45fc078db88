"""The autopilot section's worker counts from rollups (pandjango/rollups/workers_reading.py,
docs/rollups.md) when the window allows; None tells the query function to read
HARVESTER_WORKERS directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pandjango.pandadb.jobs import Window
from pandjango.rollups import reading, workers_reading

# Rows of the grouping columns and `count` (and `no_jobs`), and the answer's
# meta.source/fresh_as_of/live_source.
Rolled = tuple[list[dict[str, Any]], dict[str, Any]]


def worker_rows(window: Window, columns: Sequence[str], no_jobs: bool = False) -> Rolled | None:
    """The workers in the window counted per value of `columns`."""
    used = workers_reading.plan(window)
    rows = None if used is None else workers_reading.counts(used, columns, no_jobs)
    if used is None or rows is None:
        return None
    return rows, {**reading.source_meta(used), "live_source": used.live_source}


def direct() -> dict[str, Any]:
    return reading.source_meta(None)
