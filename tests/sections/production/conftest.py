"""Helpers for the production tests: fixed windows around the seed's reference time, and
expectations computed straight from the ORM (never from the endpoints under test)."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pytest
from django.db.models import Q

from pandjango.pandadb.models import JOB_MODELS
from tests.api_helpers import FixedWindow as BaseWindow


class FixedWindow(BaseWindow):
    def jobs(self, q: Q | None = None) -> list[dict[str, Any]]:
        """Every job row in the window from every job table, as dicts (with "table")."""
        rows = []
        for table, model in JOB_MODELS.items():
            qs = model._default_manager.filter(modificationtime__gte=self.start, modificationtime__lt=self.end)
            rows += [{**row, "table": table} for row in qs.filter(q or Q()).values()]
        return rows

    def count_by(self, columns: Iterable[str], q: Q | None = None) -> Counter[tuple[Any, ...]]:
        cols = list(columns)
        return Counter(tuple(row[c] for c in cols) for row in self.jobs(q))


@pytest.fixture
def window(seed_now: datetime) -> Callable[[float], FixedWindow]:
    """window(hours) -> the last `hours` before the seed's reference time (all seeded jobs
    were modified at or before it)."""
    return functools.partial(FixedWindow.hours_before, seed_now)


def all_tables_count(q: Q) -> int:
    return sum(model._default_manager.filter(q).count() for model in JOB_MODELS.values())
