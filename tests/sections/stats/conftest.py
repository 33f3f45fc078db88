"""A fixed window for the stats tests: the same bounds go to the endpoint (date_from/date_to)
and to the independent ORM counts the answers are checked against."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.jobs import Window


@dataclass(frozen=True)
class FixedWindow:
    start: datetime
    end: datetime

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    def params(self, **more: object) -> dict[str, object]:
        return {"date_from": iso(self.start), "date_to": iso(self.end), **more}


def _last_hours(hours: float, ago: float = 0) -> FixedWindow:
    end = timezone.now().replace(microsecond=0) - timedelta(hours=ago)
    return FixedWindow(end - timedelta(hours=hours), end)


@pytest.fixture
def last_hours() -> Callable[..., FixedWindow]:
    """last_hours(24) -> the window of the last 24 hours, in whole seconds; ago=N ends it N
    hours before now."""
    return _last_hours
