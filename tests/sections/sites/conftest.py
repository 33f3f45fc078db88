"""Helpers for the sites tests: fixed windows ending just after the seed's reference time,
and job counts computed straight from the ORM (never from the endpoints under test)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.db.models import Q

from pandjango.api import iso
from pandjango.pandadb.models import JOB_MODELS


@dataclass(frozen=True)
class FixedWindow:
    """A window given as date_from/date_to: the requests and the ORM all see the same rows,
    where a relative `hours=` window would move between them."""

    start: datetime
    end: datetime

    @property
    def params(self) -> dict[str, str]:
        return {"date_from": iso(self.start), "date_to": iso(self.end)}

    def jobs_by_status(self, q: Q) -> Counter[str]:
        """Jobs matching q modified in the window, by jobstatus, over every job table."""
        counts: Counter[str] = Counter()
        for model in JOB_MODELS.values():
            in_window = model._default_manager.filter(q, modificationtime__gte=self.start, modificationtime__lt=self.end)
            counts.update(in_window.values_list("jobstatus", flat=True))
        return counts


@pytest.fixture
def window(seed_now: datetime) -> Callable[[float], FixedWindow]:
    """window(hours) -> the `hours` before the seed's reference time (no seeded row is newer)."""

    def make(hours: float) -> FixedWindow:
        end = seed_now + timedelta(minutes=1)
        return FixedWindow(end - timedelta(hours=hours), end)

    return make
