"""The API's errors: ApiError, the JSON error body, and what a database failure means for a client (400, 503 with Retry-After)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

import orjson
from django.conf import settings
from django.db import DatabaseError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from pandjango.api import budget

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
# all its queries (limits.request_seconds, pandjango/api/budget.py), or a database out of reach:
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
