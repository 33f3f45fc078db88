"""One structured line per request, for operators: logger "pandjango.request", one JSON object
per line (settings.LOGGING), e.g.

    {"time": "2025-01-01T12:00:00.123Z", "method": "GET", "path": "/api/production/jobs/",
     "query": "jobstatus=failed", "status": 200, "duration_ms": 41.7, "cache": "MISS",
     "db_queries": 2, "db_ms": 35.2, "user_class": "anonymous"}

`cache` is the answer's X-Cache header (HIT, MISS, BYPASS), null for an answer that is not
cached; `db_queries` and `db_ms` count and time every query sent to every database while the
request was answered (an execute wrapper: it works with DEBUG off); `user_class` is the kind
of viewer (pandjango.sections.visibility_class). A 5xx line is logged at ERROR.

An unhandled error is logged with its traceback where it is caught (pandjango.edge.middleware for
/api/, Django's "django.request" logger for pages); the client gets an error without details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connections
from django.http import HttpRequest, HttpResponseBase

from pandjango.edge import metrics
from pandjango.sections import visibility_class

log = logging.getLogger("pandjango.request")


class QueryTimer:
    """An execute wrapper (connection.execute_wrapper) that counts and times the queries."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - start


def _user_class(request: HttpRequest) -> str:
    try:
        return visibility_class(getattr(request, "user", None))
    except Exception:  # a database that is down must not cost the request its log line
        return "unknown"


def request_line(request: HttpRequest, response: HttpResponseBase, seconds: float, queries: QueryTimer) -> dict[str, Any]:
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": request.method,
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "cache": response.get("X-Cache") or None,
        "db_queries": queries.count,
        "db_ms": round(queries.seconds * 1000, 1),
        "user_class": _user_class(request),
    }


class RequestLogMiddleware:
    """Outermost middleware: everything inside it, other middleware included, is timed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        queries = QueryTimer()
        start = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(queries))
            response = self.get_response(request)
        seconds = time.perf_counter() - start
        try:
            metrics.observe(request, response, seconds, queries.count, queries.seconds)
            line = request_line(request, response, seconds, queries)
            log.log(logging.ERROR if response.status_code >= 500 else logging.INFO, orjson.dumps(line).decode())
        except Exception:  # logging and metrics must never turn an answer into an error
            logging.getLogger("pandjango.errors").exception("could not log %s %s", request.method, request.path)
        return response
