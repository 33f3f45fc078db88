"""PanDA's dates: the 1970-01-01 it writes for a date that is not set."""

from __future__ import annotations

from datetime import UTC, datetime

# PanDA writes this for a date that is not set (the STARTTIME of a job that never started);
# the API answers null, and nothing PanDA holds is older.
UNSET = datetime(1970, 1, 1, tzinfo=UTC)
# Any date before this one is the marker, whatever its time of day.
UNSET_BEFORE = datetime(UNSET.year + 1, 1, 1, tzinfo=UTC)


def is_unset(value: datetime) -> bool:
    return value.year == UNSET.year
