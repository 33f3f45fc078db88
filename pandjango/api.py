"""What every JSON endpoint shares: the orjson renderer, the error shape, the envelope, the
time window, the PanDA filter syntax (`a|b`, `!a`, `ANALY_*`) and parameter validation.

A view declares a QuerySpec (its filters, default window, sort fields, output fields and
extra parameters); `parse_query` validates the request against it before anything reaches
the database: an unknown parameter, a bad value or a bad combination is a 400 naming it.
"""

from __future__ import annotations

import decimal
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar, cast

import django_filters
import orjson
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, OperationalError, connections
from django.db.models import Model, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from pandjango import budget
from pandjango.pandadb.jobs import Window

UNSET_YEAR = 1970
T = TypeVar("T")


# ---------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error the client should see, with the status and code of API.md."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def bad_request(message: str, **fields: str) -> ApiError:
    return ApiError(400, "bad_request", message, fields)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


# A query the database stopped at limits.statement_timeout_ms, a request past its budget for
# all its queries (limits.request_seconds, pandjango/budget.py), or a database out of reach:
# 503 with Retry-After (API.md). Any other database error is a bug and stays a 500.
RETRY_AFTER_SECONDS = 30
_MYSQL_TIMEOUTS = {1969, 3024}  # MariaDB max_statement_time, MySQL MAX_EXECUTION_TIME
_MYSQL_UNAVAILABLE = {1040, 1053, 2002, 2003, 2005, 2006, 2013}  # too many connections, shutdown, no server, gone away
_ORACLE_TIMEOUTS = ("DPY-4024", "DPI-1067", "ORA-03156", "ORA-01013")  # call_timeout (thin, thick), cancelled call
_ORACLE_UNAVAILABLE = ("DPY-1001", "DPY-4011", "DPY-6005", "ORA-03113", "ORA-03114", "ORA-03135", "ORA-12170", "ORA-12514", "ORA-12541")
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk I/O error")


def _database_trouble(exc: DatabaseError) -> str | None:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    sqlstate = getattr(exc.__cause__, "sqlstate", None)  # psycopg
    message = str(exc)
    # SQLite: "interrupted" is the raw SQL registry's time limit (a progress handler).
    if code in _MYSQL_TIMEOUTS or sqlstate == "57014" or message.startswith(_ORACLE_TIMEOUTS) or message == "interrupted":
        return "timeout"
    if isinstance(exc, budget.QueryBudgetSpent):
        return "timeout"
    if code in _MYSQL_UNAVAILABLE or message.startswith(_ORACLE_UNAVAILABLE) or message in _SQLITE_UNAVAILABLE:
        return "unavailable"
    if sqlstate is not None and (sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")):
        return "unavailable"
    psycopg_failed_to_connect = sqlstate is None and type(exc.__cause__).__module__.startswith("psycopg")
    if isinstance(exc, OperationalError) and psycopg_failed_to_connect:
        return "unavailable"
    return None


def database_error(exc: Exception) -> ApiError | None:
    """The 503 for a timed-out query or an unreachable database; None for other errors."""
    trouble = _database_trouble(exc) if isinstance(exc, DatabaseError) else None
    if trouble is None:
        return None
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if trouble == "timeout":
        return ApiError(503, "query_timeout", _timeout_message(), headers=headers)
    return ApiError(503, "database_unavailable", f"{_failed_database()} is unavailable; retry later", headers=headers)


def _failed_database() -> str:
    """Which database failed, as Django marks a connection whose last call raised: the PanDA
    one unless only Django's own did. Never the server's own message (it may name hosts)."""
    if connections["default"].errors_occurred and not connections["panda"].errors_occurred:
        return "Django's own database (default: users, sessions, rollups)"
    return "the PanDA database"


def _timeout_message() -> str:
    limits = settings.PANDJANGO["limits"]
    spending = budget.current()
    if spending is not None and spending.stopped():
        return (
            f"the request's queries ran longer than {spending.seconds:g} s together (limits.request_seconds) and were stopped; "
            "try a shorter window, fewer fields or groups, or retry later"
        )
    seconds = limits["statement_timeout_ms"] / 1000
    return f"the query ran longer than {seconds:g} s (limits.statement_timeout_ms) and was stopped; try a shorter window or retry later"


def error_body(status: int, code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    return {"error": body}


_DRF_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turns every error raised in an API view into the JSON error shape of API.md."""
    if isinstance(exc, DatabaseError) and (unavailable := database_error(exc)) is not None:
        logging.getLogger("pandjango.errors").warning("503 %s: %s", unavailable.code, exc)
        exc = unavailable
    if isinstance(exc, ApiError):
        return Response(error_body(exc.status, exc.code, exc.message, exc.fields), status=exc.status, headers=exc.headers)
    if isinstance(exc, Http404):
        return Response(error_body(404, "not_found", str(exc) or "not found"), status=404)
    if isinstance(exc, drf_exceptions.APIException):
        status = exc.status_code
        headers = {}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
        auth_header = getattr(exc, "auth_header", None)  # a 401 says how to authenticate (a token)
        if auth_header:
            headers["WWW-Authenticate"] = str(auth_header)
        fields = {}
        if isinstance(exc.detail, dict):
            fields = {k: " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in exc.detail.items()}
            message = "; ".join(f"{k}: {v}" for k, v in fields.items())
        elif isinstance(exc.detail, list):
            message = " ".join(map(str, exc.detail))
        else:
            message = str(exc.detail)
        return Response(error_body(status, _DRF_CODES.get(status, "error"), message, fields), status=status, headers=headers)
    return None  # Unexpected: Django logs it and the 500 handler answers.


def json_error_response(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(orjson.dumps(error_body(status, code, message)), status=status, content_type="application/json")


def authenticate(request: HttpRequest) -> HttpResponse | None:
    """For the plain Django views under /api/: sets request.user as a DRF view finds it (an API
    token, else the session). A wrong token is answered with a 401, returned."""
    classes = cast(list[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES)  # imported by DRF
    authenticators = [authenticator() for authenticator in classes]
    drf_request = Request(request, authenticators=authenticators)
    try:
        drf_request.user  # noqa: B018 (authenticates, and sets request.user)
    except drf_exceptions.AuthenticationFailed as exc:
        response = json_error_response(401, "not_authenticated", str(exc.detail))
        response["WWW-Authenticate"] = authenticators[0].authenticate_header(drf_request) or "Token"
        return response
    return None


# ---------------------------------------------------------------------------- rendering


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # Oracle NUMBER columns
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class OrjsonParser(BaseParser):
    """JSON bodies of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, read by orjson, which refuses
    nesting past 1024 levels with a decode error (the standard library's parser recurses
    until Python's own limit: a 500)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        maximum = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = b"" if stream is None else stream.read(maximum + 1) if maximum else stream.read()
        if maximum and len(body) > maximum:
            raise ParseError(f"the body is larger than {maximum} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"the body is not JSON that can be read: {exc}") from None


def clean_dates(rows: Iterable[dict[str, Any]]) -> None:
    """PanDA marks unset dates as 1970-01-01; the API says null."""
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime) and value.year == UNSET_YEAR:
                row[key] = None


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    data: Any,
    *,
    window: Window | None = None,
    limit: int | None = None,
    count: int | None = None,
    truncated: bool = False,
    **meta: Any,
) -> dict[str, Any]:
    head: dict[str, Any] = {"generated_at": iso(timezone.now())}
    if window is not None:
        head["window"] = {"from": iso(window.start), "to": iso(window.end)}
    if limit is not None:
        head["limit"] = limit
    if count is not None:
        head["count"] = count
    if count is not None or limit is not None:
        head["truncated"] = truncated
    head.update(meta)
    return {"data": data, "meta": head}


def max_summary_rows() -> int:
    """The rows of a summary, of each list of a facets or errors answer (limits.max_summary_rows)."""
    return int(settings.PANDJANGO["limits"]["max_summary_rows"])


def at_most(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` rows, and whether there were more (read limit + 1 to know)."""
    return rows[:limit], len(rows) > limit


# ---------------------------------------------------------------------------- filters


class PandaFilter(django_filters.Filter):
    """A filter in PanDA syntax: `a`, `a|b` (any of), `!a` or `!a|b` (none of), and `*` as a
    wildcard on text fields (`ANALY_*`). Numbers take no wildcard."""

    field_class = forms.CharField

    def __init__(self, *args: Any, numeric: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "value, a|b (any of), !a (not)" + ("" if numeric else ", * wildcard"))
        super().__init__(*args, **kwargs)
        self.numeric = numeric

    def translate(self, value: str) -> str:
        """Hook for filters whose values stand for column values (jobtype)."""
        return value

    def values(self, raw: str) -> tuple[bool, list[str]]:
        return split_filter(raw, self.numeric)

    def q(self, raw: str) -> Q:
        negate, parts = self.values(raw)
        name = str(self.field_name)
        exact = [self.translate(p) for p in parts if "*" not in p]
        q = Q()
        if exact:
            q |= Q(**{f"{name}__in": [int(v) for v in exact] if self.numeric else exact})
        for pattern in (p for p in parts if "*" in p):
            q |= wildcard_q(name, pattern)
        return ~q if negate else q

    def filter(self, qs: Any, value: Any) -> Any:
        if value in (None, ""):
            return qs
        return qs.filter(self.q(value))


# Bounds on one filter's value: each alternative and each * costs the database a comparison
# (SQLite refuses a LIKE pattern past a few thousand characters).
MAX_ALTERNATIVES = 100
MAX_WILDCARDS = 4
INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would take "١٢" too


def split_filter(raw: str, numeric: bool = False) -> tuple[bool, list[str]]:
    """`!a|b` -> (True, ["a", "b"]): whether the filter is negated, and its values."""
    negate = raw.startswith("!")
    parts = (raw[1:] if negate else raw).split("|")
    if any(not p for p in parts):
        raise DjangoValidationError("empty value in a|b or !a")
    if len(parts) > MAX_ALTERNATIVES:
        raise DjangoValidationError(f"{len(parts)} values in a|b, more than {MAX_ALTERNATIVES}")
    if any(p.count("*") > MAX_WILDCARDS for p in parts):
        raise DjangoValidationError(f"a value holds more than {MAX_WILDCARDS} * wildcards")
    if numeric:
        for p in parts:
            if not INTEGER.fullmatch(p):
                raise DjangoValidationError(f"{p!r} is not an integer")
            if abs(int(p)) >= 2**63:  # no PanDA column holds it, and SQLite fails on it
                raise DjangoValidationError(f"{p!r} is out of range")
    return negate, parts


def value_matches(raw: str, value: Any) -> bool:
    """Whether one text value passes a PanDA-syntax filter, as PandaFilter.q would select its
    row: for data filtered in Python (the queues' documents). None matches no value and no
    wildcard, so it passes every negated filter, as a NULL column does."""
    negate, parts = split_filter(raw)
    text = None if value is None else str(value)
    found = text is not None and any(wildcard_matches(p, text) if "*" in p else text == p for p in parts)
    return found != negate


def wildcard_matches(pattern: str, text: str) -> bool:
    """wildcard_q in Python: the first fixed piece at the start, the last at the end, and
    each one between somewhere."""
    pieces = pattern.split("*")
    return text.startswith(pieces[0]) and text.endswith(pieces[-1]) and all(middle in text for middle in pieces[1:-1])


def wildcard_q(name: str, pattern: str) -> Q:
    """`ANALY_*` -> startswith (index-friendly); `*x*` -> contains; in general each fixed
    piece must appear, the first at the start and the last at the end."""
    pieces = pattern.split("*")
    q = Q()
    if pieces[0]:
        q &= Q(**{f"{name}__startswith": pieces[0]})
    if pieces[-1]:
        q &= Q(**{f"{name}__endswith": pieces[-1]})
    for middle in pieces[1:-1]:
        if middle:
            q &= Q(**{f"{name}__contains": middle})
    if len(pattern) - pattern.count("*") == 0:
        q &= Q(**{f"{name}__isnull": False})
    return q


class PandaFilterSet(django_filters.FilterSet):
    """Explicit PanDA-syntax filters; `q_for()` gives one Q for the given values, so the
    same filters apply to one table or to every job table."""

    @classmethod
    def q_for(cls, data: Mapping[str, str]) -> Q:
        """Validates each given value with its filter's form field and combines them.
        Builds no FilterSet instance: that deep-copies every declared filter and makes a
        form class, about 2 ms a request for the 42 job filters, most of a cache hit's cost."""
        q = Q()
        errors: dict[str, str] = {}
        for name, flt in cls.base_filters.items():  # declaration order, as a form reports
            if name not in data:
                continue
            assert isinstance(flt, PandaFilter)
            try:
                value = flt.field.clean(data[name])
                if value not in (None, ""):
                    q &= flt.q(value)
            except DjangoValidationError as exc:
                errors[name] = " ".join(exc.messages)
        if errors:
            raise DjangoValidationError(errors)
        return q


def filterset_for(
    model: type[Model], fields: Mapping[str, str], numeric: Iterable[str] = (), name: str = "FilterSet"
) -> type[PandaFilterSet]:
    """A FilterSet on `model` with one PandaFilter per parameter (param name -> field name);
    only these, never every column."""
    numeric = set(numeric)
    attrs: dict[str, Any] = {
        param: PandaFilter(field_name=column, numeric=param in numeric) for param, column in fields.items()
    }
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": []})
    return type(name, (PandaFilterSet,), attrs)


# ---------------------------------------------------------------------------- parameters

WINDOW_PARAMS = ("hours", "days", "date_from", "date_to")
LIST_PARAMS = ("limit", "sort", "fields")
CONTROL_PARAMS = ("refresh",)  # handled by the caching layer


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
    filters: dict[str, str] = field(default_factory=dict)


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
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
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
    # limits.max_query_string: pandjango.middleware.QueryStringLimitMiddleware, a 414.
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
    q, filters = _parse_filters(params, spec)
    normalized.update(filters)
    extra = _parse_extra(params, spec, normalized)
    return Query(q=q, window=window, limit=limit, sort=sort, fields=fields, extra=extra, normalized=normalized, filters=filters)


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


def _parse_filters(params: Mapping[str, str], spec: QuerySpec) -> tuple[Q, dict[str, str]]:
    if spec.filterset is None:
        return Q(), {}
    data = {k: v for k, v in params.items() if k in spec.filterset.base_filters}
    try:
        q = spec.filterset.q_for(data)
    except DjangoValidationError as exc:
        errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        raise bad_request("; ".join(f"{k}: {v}" for k, v in errors.items()), **errors) from None
    return q, data


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


def as_date(value: Any) -> Any:
    """Dates of the DB as aware datetimes (SQLite may hand back dates for DATE columns)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=UTC)
    return value
