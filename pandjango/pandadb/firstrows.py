"""At most `limit` rows, and whether there were more: read one row more than wanted, keep `limit`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet

T = TypeVar("T")


def read_size(limit: int) -> int:
    """How many rows to read to know whether more than `limit` exist."""
    return limit + 1


def at_most(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` of rows read with read_size(limit), and whether there were more."""
    return rows[:limit], len(rows) > limit


def first(rows: QuerySet[Any, T] | Sequence[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` rows of a QuerySet (one query, LIMIT limit + 1) or a list, and
    whether there were more."""
    return at_most(list(rows[: read_size(limit)]), limit)
