"""Rows keyed by PanDA's column names, for tables whose model fields differ from them.

API.md names fields after the PanDA columns in lower case, but Django does not allow a field
name ending in an underscore, so COMMENT_ and USER_ are the model fields `comment` and
`user`. These helpers select and sort rows by column name on any PanDA model (api.schemas.columns_of
describes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import F, QuerySet


def column_fields(model: type[models.Model]) -> dict[str, str]:
    """Column name -> model field name, in the model's order."""
    return {f.column: f.name for f in model._meta.concrete_fields if f.column}


def values_by_column(qs: QuerySet[Any], columns: Sequence[str]) -> QuerySet[Any, dict[str, Any]]:
    """`qs.values(...)` with each row keyed by column name (`comment_`, not `comment`)."""
    fields = column_fields(qs.model)
    plain = [c for c in columns if fields[c] == c]
    renamed = {c: F(fields[c]) for c in columns if fields[c] != c}
    return qs.values(*plain, **renamed)


def order_by_column(model: type[models.Model], sort: str, tiebreak: str) -> list[str]:
    """order_by() arguments for `sort=column` or `sort=-column`, then a unique column in the
    same direction so that equal values come back in a stable order."""
    fields = column_fields(model)
    descending = sort.startswith("-")
    sign = "-" if descending else ""
    names = list(dict.fromkeys([fields[sort.lstrip("-")], fields[tiebreak]]))
    return [sign + name for name in names]
