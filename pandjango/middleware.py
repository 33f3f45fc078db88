"""Answers under /api/ are always JSON, even Django's own 404/500 and even with DEBUG on."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pandjango import api

log = logging.getLogger("pandjango.errors")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and response.status_code in (404, 405, 500) and not response.get("Content-Type", "").startswith("application/json"):
            code, message = {
                404: ("not_found", f"no such path: {request.path}"),
                405: ("method_not_allowed", f"{request.method} is not allowed here"),
                500: ("server_error", "internal error; it has been logged"),
            }[response.status_code]
            return api.json_error_response(response.status_code, code, message)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        log.exception("unhandled error on %s %s", request.method, request.path)
        return api.json_error_response(500, "server_error", "internal error; it has been logged")
