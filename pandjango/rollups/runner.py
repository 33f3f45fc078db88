"""`manage.py pandadb rollup`: one locked refresher run, or one every N seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connections

from . import refresh, workers
from .lock import Busy, held

__all__ = ["Busy", "refresh_once", "refresh_loop"]


def refresh_once(backfill: bool, say: Callable[[str], None]) -> refresh.RunResult:
    """One run under the lock; Busy when another runner holds it."""
    with held():
        result = refresh.run(backfill=backfill, progress=say)
        counted = workers.run(backfill=backfill, progress=say)
    say(
        f"rollups up to date as of {result.mark:%Y-%m-%dT%H:%M:%SZ}: {result.buckets} hour buckets recomputed in {result.seconds} s "
        f"(the active jobs' snapshot {result.snapshot_seconds} s of it); "
        f"workers as of {counted.mark:%Y-%m-%dT%H:%M:%SZ}: {counted.buckets} hour buckets in {counted.seconds} s "
        f"(the live workers' snapshot {counted.snapshot_seconds} s of it)"
    )
    return result


def refresh_loop(backfill: bool, every: int, say: Callable[[str], None]) -> None:
    """With every > 0, a run every `every` seconds until stopped; a run that finds the lock
    held says so and waits for the next turn (another server is refreshing)."""
    if every <= 0:
        refresh_once(backfill, say)
        return
    while True:
        try:
            refresh_once(backfill, say)
        except Busy as exc:
            say(str(exc))
        backfill = False
        connections.close_all()  # a session lock goes with its connection; nothing kept between runs
        time.sleep(every)
