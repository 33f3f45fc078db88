"""A request's parameters: the time window, limit, sort and fields, the filters and an endpoint's own, validated into a Query (400 naming what is wrong).

A view declares a QuerySpec (its filters, default window, sort fields, output fields and
extra parameters); `parse_query` validates the request against it before anything reaches
the database: an unknown parameter, a bad value or a bad combination is a 400 naming it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from pandjango.api.errors import bad_request
from pandjango.api.filters import INTEGER, Filter, PandaFilterSet, all_of
from pandjango.api.output import iso
from pandjango.pandadb.dates import UNSET
from pandjango.pandadb.jobs import Window

# ---------------------------------------------------------------------------- parameters

WINDOW_PARAMS = ("hours", "days", "date_from", "date_to")
LIST_PARAMS = ("limit", "sort", "fields")
# Handled by the caching layer (refresh) and DRF's choice of renderer (format=json|csv).
CONTROL_PARAMS = ("refresh", "format")


@dataclass(frozen=True)
class QuerySpec:
    """What an endpoint accepts. Everything not declared here is a 400."""

    filterset: type[PandaFilterSet] | None = None
    default_hours: int | None = None  # None: no time window
    is_list: bool = False  # accepts limit/sort/fields
    sort_fields: Sequence[str] = ()
    default_sort: str = ""
    output_fields: Sequence[str] = ()  # what `fields=` may name
    default_fields: Sequence[str] = ()
    staff_fields: Sequence[str] = ()  # personal data: only for signed-in staff
    extra: Mapping[str, forms.Field] = field(default_factory=dict)
    extra_help: Mapping[str, str] = field(default_factory=dict)

    def parameter_names(self) -> list[str]:
        names = list(self.filterset.base_filters) if self.filterset else []
        if self.default_hours is not None:
            names += WINDOW_PARAMS
        if self.is_list:
            names += LIST_PARAMS
        return names + list(self.extra)


@dataclass
class Query:
    """A validated request: what the query functions and the cache key are built from."""

    q: Q
    window: Window | None
    limit: int
    sort: str
    fields: list[str]
    extra: dict[str, Any]
    normalized: dict[str, str]  # the parameters with defaults applied, for the cache key
    filters: dict[str, Filter] = field(default_factory=dict)  # the filters given (q's parts), by parameter


def _positive_int(name: str, raw: str, maximum: int, limit_name: str) -> int:
    if not INTEGER.fullmatch(raw):
        raise bad_request(f"{name} must be a positive integer", **{name: "must be a positive integer"})
    value = int(raw)
    if value <= 0:
        raise bad_request(f"{name} must be a positive integer", **{name: "must be a positive integer"})
    if value > maximum:
        raise bad_request(f"{name} must be at most {maximum} ({limit_name})", **{name: f"must be at most {maximum} ({limit_name})"})
    return value


# The times a window may name: PanDA has nothing older, and the calendar's edges (year 1,
# year 9999 with an offset) would overflow the window's arithmetic.
EARLIEST = UNSET
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _parse_time(name: str, raw: str) -> datetime:
    try:  # well-formed but impossible (2020-13-01) raises ValueError
        parsed = parse_datetime(raw)
        day = parse_date(raw) if parsed is None and len(raw) == 10 else None
    except ValueError:
        parsed = day = None
    if parsed is None and day is not None:
        parsed = datetime.combine(day, time(0))
    if parsed is None:
        raise bad_request(f"{name} must be an ISO 8601 date or time", **{name: "must be an ISO 8601 date or time, e.g. 2026-11-20T08:00:00Z"})
    try:
        parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:  # year 9999 with an offset
        parsed = LATEST + timedelta(days=1)
    if not EARLIEST <= parsed <= LATEST:
        message = f"must be between {iso(EARLIEST)} and {iso(LATEST)}"
        raise bad_request(f"{name} {message}", **{name: message})
    return parsed


def parse_window(params: Mapping[str, str], default_hours: int, normalized: dict[str, str]) -> Window:
    max_days = settings.PANDJANGO["limits"]["max_window_days"]
    given = [p for p in WINDOW_PARAMS if p in params]
    relative = [p for p in given if p in ("hours", "days")]
    absolute = [p for p in given if p in ("date_from", "date_to")]
    if len(relative) > 1 or (relative and absolute):
        raise bad_request(
            f"give either hours, days or date_from/date_to, not {' and '.join(given)}",
            **{p: "cannot be combined with " + ", ".join(x for x in given if x != p) for p in given},
        )
    now = timezone.now()
    if "days" in params:
        days = _positive_int("days", params["days"], max_days, "limits.max_window_days")
        normalized["hours"] = str(days * 24)
        return Window(now - timedelta(days=days), now)
    if absolute:
        end = _parse_time("date_to", params["date_to"]) if "date_to" in params else now
        start = _parse_time("date_from", params["date_from"]) if "date_from" in params else end - timedelta(hours=default_hours)
        if start >= end:
            raise bad_request("date_from must be before date_to", date_from="must be before date_to")
        if end - start > timedelta(days=max_days):
            raise bad_request(
                f"the window is longer than {max_days} days (limits.max_window_days)",
                date_from=f"window must be at most {max_days} days (limits.max_window_days)",
            )
        normalized["date_from"], normalized["date_to"] = iso(start), iso(end)
        return Window(start, end)
    hours = _positive_int("hours", params["hours"], max_days * 24, "limits.max_window_days") if "hours" in params else default_hours
    normalized["hours"] = str(hours)
    return Window(now - timedelta(hours=hours), now)


def _check_request_limits(params: Mapping[str, str], spec: QuerySpec) -> None:
    # limits.max_query_string: pandjango.edge.middleware.QueryStringLimitMiddleware, a 414.
    limits = settings.PANDJANGO["limits"]
    filters = [p for p in params if spec.filterset and p in spec.filterset.base_filters]
    if len(filters) > limits["max_filters"]:
        raise bad_request(f"more than {limits['max_filters']} filters (limits.max_filters)")


def _single_values(request: HttpRequest) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, values in request.GET.lists():
        if len(values) > 1:
            raise bad_request(f"{name} is given more than once; use {name}=a|b", **{name: "given more than once"})
        params[name] = values[0]
    return params


def parse_query(request: HttpRequest, spec: QuerySpec) -> Query:
    params = _single_values(request)
    allowed = set(spec.parameter_names()) | set(CONTROL_PARAMS)
    unknown = sorted(p for p in params if p not in allowed)
    if unknown:
        raise bad_request(
            f"unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            **{p: "unknown parameter" for p in unknown},
        )
    _check_request_limits(params, spec)
    normalized: dict[str, str] = {}
    window = parse_window(params, spec.default_hours, normalized) if spec.default_hours is not None else None
    limit, sort, fields = _parse_list_params(request, params, spec, normalized)
    filters = _parse_filters(params, spec, normalized)
    extra = _parse_extra(params, spec, normalized)
    return Query(q=all_of(filters.values()), window=window, limit=limit, sort=sort, fields=fields, extra=extra, normalized=normalized, filters=filters)


def _parse_list_params(
    request: HttpRequest, params: Mapping[str, str], spec: QuerySpec, normalized: dict[str, str]
) -> tuple[int, str, list[str]]:
    if not spec.is_list:
        return 0, "", []
    limits = settings.PANDJANGO["limits"]
    limit = _positive_int("limit", params["limit"], limits["max_limit"], "limits.max_limit") if "limit" in params else limits["default_limit"]
    sort = params.get("sort", spec.default_sort)
    if sort.removeprefix("-") not in spec.sort_fields:
        raise bad_request(f"cannot sort by {sort!r}", sort=f"must be one of {', '.join(spec.sort_fields)}, optionally with a leading -")
    is_staff = bool(getattr(request, "user", None) and request.user.is_staff)
    offered = [f for f in spec.output_fields if is_staff or f not in spec.staff_fields]
    if "fields" in params:
        fields = [f.strip() for f in params["fields"].split(",") if f.strip()]
        wrong = [f for f in fields if f not in offered]
        if wrong or not fields:
            raise bad_request(
                f"unknown field{'s' if len(wrong) > 1 else ''}: {', '.join(wrong) or '(none given)'}",
                fields=f"must be a comma-separated list of {', '.join(offered)}",
            )
    else:
        fields = [f for f in spec.default_fields if f in offered]
    normalized.update(limit=str(limit), sort=sort, fields=",".join(fields))
    return limit, sort, fields


def _parse_filters(params: Mapping[str, str], spec: QuerySpec, normalized: dict[str, str]) -> dict[str, Filter]:
    if spec.filterset is None:
        return {}
    given = {k: v for k, v in params.items() if k in spec.filterset.base_filters}
    try:
        filters = spec.filterset.parse(given)
    except DjangoValidationError as exc:
        errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        raise bad_request("; ".join(f"{k}: {v}" for k, v in errors.items()), **errors) from None
    normalized.update(given)
    return filters


def _parse_extra(params: Mapping[str, str], spec: QuerySpec, normalized: dict[str, str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for name, form_field in spec.extra.items():
        raw = params.get(name)
        try:
            value = form_field.clean(raw if raw is not None else form_field.initial)
        except DjangoValidationError as exc:
            message = " ".join(exc.messages)
            raise bad_request(f"{name}: {message}", **{name: message}) from None
        extra[name] = value
        if value not in (None, "", []):
            normalized[name] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return extra
