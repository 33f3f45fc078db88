"""Writing jobs into the test PanDA database and running the refresher, for the rollups' tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Sum

from pandjango.pandadb.models import JOB_MODELS
from pandjango.rollups import refresh
from pandjango.rollups.models import ROLLUPS

NEW_PANDAID = 9_100_000_000


def a_job(table: str = "archived", **columns: Any) -> dict[str, Any]:
    """A copy of a seeded job of `table` (its columns), to be changed and written."""
    row = JOB_MODELS[table]._default_manager.order_by("pandaid").values().first()
    assert row is not None
    return {**row, **columns}


def write_job(table: str, job: dict[str, Any]) -> None:
    JOB_MODELS[table]._default_manager.create(**job)


def move_job(pandaid: int, from_table: str, to_table: str, **columns: Any) -> dict[str, Any]:
    """Moves a job as PanDA does: deleted from one table, written to the next with new columns."""
    source = JOB_MODELS[from_table]._default_manager.filter(pandaid=pandaid)
    job = {**source.values().get(), **columns}
    source.delete()
    write_job(to_table, job)
    return job


def rolled_total(model_index: int = 0, since: datetime | None = None) -> int:
    qs = ROLLUPS[model_index]._default_manager.all()
    if since is not None:
        qs = qs.filter(bucket__gte=since)
    return int(qs.aggregate(n=Sum("n"))["n"] or 0)


def refreshed(backfill: bool = False) -> refresh.RunResult:
    return refresh.run(backfill=backfill)
