"""Answers under /api/ are always JSON, even Django's own 404/500 and even with DEBUG on.

A database that is out of reach or a query past its time limit, wherever it is raised, is a
503 with Retry-After (pandjango.api.errors.database_error decides which errors): JSON under /api/,
a page saying so for people. DRF views answer it in pandjango.api.errors.exception_handler; this
catches it in every other view."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pandjango.api import errors

log = logging.getLogger("pandjango.errors")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and response.status_code in (404, 405, 412, 500) and not response.get("Content-Type", "").startswith("application/json"):
            code, message = {
                404: ("not_found", f"no such path: {request.path}"),
                405: ("method_not_allowed", f"{request.method} is not allowed here"),
                412: ("precondition_failed", "the answer does not match If-Match or If-Unmodified-Since"),
                500: ("server_error", "internal error; it has been logged"),
            }[response.status_code]
            replaced = errors.json_error_response(response.status_code, code, message)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]  # a 405 says what is allowed (RFC 9110)
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        unavailable = errors.database_error(exception)
        if unavailable is not None:
            return database_unavailable(request, unavailable, exception)
        if not _is_api(request):
            return None
        if isinstance(exception, (TooManyFieldsSent, RequestDataTooBig)):
            # Django's own limits on parameters and body size: bad input, said as such.
            return errors.json_error_response(400, "bad_request", str(exception))
        log.exception("unhandled error on %s %s", request.method, request.path)
        return errors.json_error_response(500, "server_error", "internal error; it has been logged")


# A page reads only Django's own database (its data comes from the API), hence no "PanDA".
PAGE_MESSAGES = {
    "database_unavailable": "The database is unavailable; retry later.",
    "query_timeout": "A database query ran too long and was stopped; retry later.",
}


def database_unavailable(request: HttpRequest, error: errors.ApiError, exception: Exception) -> HttpResponse:
    log.warning("503 %s on %s %s: %s", error.code, request.method, request.path, exception)
    response: HttpResponse
    if _is_api(request):
        response = errors.json_error_response(error.status, error.code, error.message)
    else:
        # Who is signed in may be the very thing the database cannot say: the page does not ask.
        context = {"status": error.status, "message": PAGE_MESSAGES[error.code], "user": AnonymousUser()}
        response = render(request, "error.html", context, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


class QueryStringLimitMiddleware:
    """A query string longer than limits.max_query_string is a JSON 414 before anything else
    reads it. gunicorn lets request lines this long through (config/gunicorn.conf.py), so that
    the refusal is ours and says which limit, not gunicorn's HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.PANDJANGO["limits"]["max_query_string"]
        if len(request.META.get("QUERY_STRING", "")) > limit:
            message = f"the query string is longer than {limit} characters (limits.max_query_string); send long lists of PandaIDs by POST"
            return errors.json_error_response(414, "uri_too_long", message)
        return self.get_response(request)

