"""A request's window and job filters as a raw query's parameters, or None where the ORM path must answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from pandjango.api import parameters
from pandjango.api.filters import Filter, PandaFilter
from pandjango.api.jobfilters import JobFilterSet
from pandjango.rawsql.definition import MAX_LIST_ITEMS
from pandjango.rawsql.jobsql import JOB_FILTERS

# ---------------------------------------------------------------------------- from a request
# The query functions of the sections try the registry first and keep their ORM path for
# what it cannot say. Both give the same rows (tests/pandjango/test_rawsql_results.py).

# False: every query function takes its ORM path (the tests compare the two).
USE_REGISTRY = True


def in_list_params(filters: Mapping[str, Filter | str], accepted: Mapping[str, str]) -> dict[str, list[Any]] | None:
    """A request's filters (Query.filters; a text is read as the job filter of its name
    reads it) as the IN-list parameters of in_filters(): <column> and <column>_not, for the
    columns `accepted` (column -> "str list" or "int list"). None when some filter has no
    such form (a wildcard, a column the query does not take) or when no value can pass (the
    ORM path answers those), or when the registry is switched off."""
    if not USE_REGISTRY:
        return None
    wanted: dict[str, list[Any]] = {}
    unwanted: dict[str, list[Any]] = {}
    for name, given in filters.items():
        flt = given if isinstance(given, Filter) else _job_filter(name, given)
        if flt is None:
            return None  # a wrong text: the ORM path's validation says what is wrong
        if flt.empty:
            continue  # given empty: no filter
        column, values = flt.column, list(flt.values)  # jobtype's: its prodsourcelabels
        if column not in accepted or flt.patterns:
            return None
        if flt.negate:
            unwanted[column] = [*unwanted.get(column, []), *values]
        else:  # two positive filters on one column (jobtype and prodsourcelabel): both hold
            wanted[column] = [v for v in values if v in wanted[column]] if column in wanted else values
    params: dict[str, list[Any]] = {}
    for column in accepted:
        if column in wanted:
            params[column] = list(dict.fromkeys(v for v in wanted[column] if v not in unwanted.get(column, ())))
            if not params[column]:
                return None
        elif column in unwanted:
            params[f"{column}_not"] = list(dict.fromkeys(unwanted[column]))
    if any(len(values) > MAX_LIST_ITEMS for values in params.values()):
        return None
    return params


def _job_filter(name: str, raw: str) -> Filter | None:
    declared = JobFilterSet.base_filters.get(name)
    try:
        return declared.parse(raw) if isinstance(declared, PandaFilter) else Filter.parse(name, raw)
    except ValidationError:
        return None


def job_params(query: parameters.Query, accepted: Mapping[str, str] = JOB_FILTERS) -> dict[str, Any] | None:
    """The window and the job filters of a request as a job query's parameters (date_from,
    date_to and in_list_params()), or None when the ORM path must answer it."""
    if query.window is None:
        return None
    filters = in_list_params(query.filters, accepted)
    if filters is None:
        return None
    return {"date_from": query.window.start, "date_to": query.window.end, **filters}


def narrowed(params: Mapping[str, Any], column: str, values: Sequence[Any]) -> dict[str, Any] | None:
    """`params` with `column` also limited to `values`, as when the ORM path adds
    filter(<column>__in=values) to the request's filters (jobs_failed: jobstatus failed).
    None when no value passes both."""
    passing = [
        v for v in values
        if (column not in params or v in params[column]) and v not in params.get(f"{column}_not", ())
    ]
    if not passing:
        return None
    out = {k: v for k, v in params.items() if k not in (column, f"{column}_not")}
    out[column] = passing
    return out
