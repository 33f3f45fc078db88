"""The autopilot section's worker counts from rollups (pandjango/rollups/workers.py,
docs/rollups.md) when the window allows; None tells the query function to read
HARVESTER_WORKERS directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from pandjango.pandadb.jobs import Window
from pandjango.rollups import reading, workers

# Rows of the grouping columns and `count` (and `no_jobs`), and the answer's meta.source/fresh_as_of.
Rolled = tuple[list[dict[str, Any]], dict[str, Any]]


def worker_rows(window: Window, columns: Sequence[str], q: Q | None = None, no_jobs: bool = False) -> Rolled | None:
    """The workers in the window (and matching q) counted per value of `columns`."""
    used = workers.plan(window)
    if used is None:
        return None
    return workers.counts(used, columns, q, no_jobs), reading.source_meta(used)


def direct() -> dict[str, Any]:
    return reading.source_meta(None)
