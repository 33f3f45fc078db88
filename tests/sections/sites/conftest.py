"""Helpers for the sites tests: fixed windows ending just after the seed's reference time,
and job counts computed straight from the ORM (never from the endpoints under test)."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db.models import Q

from pandjango.pandadb.jobs import PRECEDENCE
from pandjango.pandadb.models import JOB_MODELS
from tests.api_helpers import FixedWindow as BaseWindow


class FixedWindow(BaseWindow):
    def jobs_by_status(self, q: Q) -> Counter[str]:
        """Jobs matching q modified in the window, by jobstatus, over every job table, one row
        per pandaid: a job held by several tables counts by the row of the first in PRECEDENCE."""
        counts: Counter[str] = Counter()
        held: set[int] = set()
        for name in PRECEDENCE:
            model = JOB_MODELS[name]
            in_window = model._default_manager.filter(q, modificationtime__gte=self.start, modificationtime__lt=self.end)
            counts.update(status for pandaid, status in in_window.values_list("pandaid", "jobstatus") if pandaid not in held)
            held.update(model._default_manager.values_list("pandaid", flat=True))
        return counts


@pytest.fixture
def window(seed_now: datetime) -> Callable[[float], FixedWindow]:
    """window(hours) -> the `hours` before the seed's reference time (no seeded row is newer)."""
    return functools.partial(FixedWindow.hours_before, seed_now)
