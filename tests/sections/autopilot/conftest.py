"""Helpers for the autopilot tests: fixed windows ending just after the seed's reference
time, pilots in them straight from the ORM, and new pilots for the cases the seed lacks."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db.models import Q, QuerySet

from pandjango.pandadb.models import PilotQueue
from tests.api_helpers import FixedWindow as BaseWindow

NEW_PILOTS = itertools.count(1)


class FixedWindow(BaseWindow):
    def pilots(self, q: Q | None = None) -> QuerySet[PilotQueue]:
        return PilotQueue.objects.filter(q or Q(), tstate__gte=self.start, tstate__lt=self.end)

    def pilot_counts(self, q: Q | None = None) -> dict[str, Any]:
        """{"total", "by_state", "by_status"} of the pilots matching q, counted in Python."""
        rows = list(self.pilots(q).values_list("state", "status"))
        return {
            "total": len(rows),
            "by_state": dict(Counter(state for state, _ in rows)),
            "by_status": dict(Counter(status for _, status in rows)),
        }


@pytest.fixture
def window(seed_now: datetime) -> Callable[[float], FixedWindow]:
    """window(hours) -> the `hours` before the seed's reference time (no seeded pilot is newer)."""

    def make(hours: float) -> FixedWindow:
        end = seed_now + timedelta(minutes=1)
        return FixedWindow(end - timedelta(hours=hours), end)

    return make


@pytest.fixture
def add_pilot(seed_now: datetime) -> Callable[..., PilotQueue]:
    """add_pilot(**columns) -> a new pilot, an hour old unless told otherwise."""

    def add(**columns: Any) -> PilotQueue:
        n = next(NEW_PILOTS)
        values: dict[str, Any] = {
            "jobid": f"999{n}.0", "tpid": f"tp_testhost_{n}_20261120-120000_{n}", "nickname": "TRIUMF_PROD",
            "queueid": "TRIUMF", "submithost": "gridui07", "type": "atlasOfficial2", "state": "running",
            "status": "active", "errcode": 0, "errinfo": "", "tstate": seed_now - timedelta(hours=1),
        }
        values.update(columns)
        pilot = PilotQueue(**values)
        pilot.save(force_insert=True)
        return pilot

    return add
