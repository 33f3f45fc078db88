"""Helpers for the autopilot tests: fixed windows ending just after the seed's reference
time, the workers in them straight from the ORM, and new workers for the cases the seed
lacks."""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db.models import Q, QuerySet

from pandjango.pandadb.models import HarvesterWorkers
from pandjango.pandadb.queues import forget_queues
from tests.api_helpers import FixedWindow as BaseWindow

NEW_WORKERS = itertools.count(1)


def worker_keys(rows: Any) -> set[tuple[str, int]]:
    """(harvesterid, workerid) of answer rows or of a queryset of workers."""
    if isinstance(rows, QuerySet):
        return set(rows.values_list("harvesterid", "workerid"))
    return {(row["harvesterid"], row["workerid"]) for row in rows}


class FixedWindow(BaseWindow):
    def workers(self, q: Q | None = None) -> QuerySet[HarvesterWorkers]:
        return HarvesterWorkers.objects.filter(q or Q(), lastupdate__gte=self.start, lastupdate__lt=self.end)

    def worker_counts(self, q: Q | None = None) -> dict[str, Any]:
        """{"total", "by_status"} of the workers matching q, counted in Python."""
        statuses = list(self.workers(q).values_list("status", flat=True))
        return {"total": len(statuses), "by_status": dict(Counter(statuses))}

    def worker_counts_at(self, computingsite: str) -> dict[str, Any]:
        return self.worker_counts(Q(computingsite=computingsite))


@pytest.fixture
def window(seed_now: datetime) -> Callable[[float], FixedWindow]:
    """window(hours) -> the `hours` before the seed's reference time (no seeded worker is newer)."""
    return functools.partial(FixedWindow.hours_before, seed_now)


@pytest.fixture
def add_worker(seed_now: datetime) -> Callable[..., HarvesterWorkers]:
    """add_worker(**columns) -> a new worker of a test instance, updated an hour ago unless
    told otherwise."""

    def add(**columns: Any) -> HarvesterWorkers:
        n = next(NEW_WORKERS)
        values: dict[str, Any] = {
            "harvesterid": "test_harvester", "workerid": 70_000_000 + n, "lastupdate": seed_now - timedelta(hours=1),
            "status": "running", "batchid": f"777{n}.0", "computingsite": "TRIUMF_PROD", "submittime": seed_now - timedelta(hours=2),
            "resourcetype": "SCORE", "jobtype": "managed", "submissionhost": "testhost", "njobs": 1, "errorcode": 0,
        }
        values.update(columns)
        worker = HarvesterWorkers(**values)
        worker.save(force_insert=True)
        return worker

    return add


@pytest.fixture(autouse=True)
def _fresh_queues() -> Iterator[None]:
    """The parsed queues are kept per process: a test's own SCHEDCONFIG_JSON rows must be
    read, and must not outlive its transaction."""
    forget_queues()
    yield
    forget_queues()

