"""Project-wide views: the landing page, the API index, liveness, and JSON errors."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pandjango import api
from pandjango.endpoints import ENDPOINTS
from pandjango.meta import meta_endpoints
from pandjango.pandadb.models import CloudConfig
from pandjango.sections import section_state, visible_sections


def _sections_for(request: HttpRequest) -> list[dict[str, Any]]:
    out = []
    for name in visible_sections(request.user):
        endpoints = sorted(
            (e for e in ENDPOINTS.values() if e.section == name), key=lambda e: e.endpoint
        )
        out.append({
            "name": name,
            "state": section_state(name),
            "url": f"/{name}/",
            "endpoints": [{"name": e.endpoint, "summary": e.summary, "path": e.path_template} for e in endpoints],
        })
    return out


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html", {"sections": _sections_for(request)})


def api_index(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return api.json_error_response(405, "method_not_allowed", "only GET")
    if request.GET:
        return api.json_error_response(400, "bad_request", "/api/ takes no parameters")
    body = api.envelope(_sections_for(request), count=None, endpoints=meta_endpoints())
    return HttpResponse(api.dumps(body), content_type="application/json")


def healthz(request: HttpRequest) -> HttpResponse:
    status = {"status": "ok", "database": "ok", "cache": "ok"}
    try:
        CloudConfig.objects.exists()
    except DatabaseError as exc:
        status.update(status="unavailable", database=f"unavailable: {type(exc).__name__}")
        connections["panda"].close()
    code = 200 if status["status"] == "ok" else 503
    response = HttpResponse(api.dumps(status), status=code, content_type="application/json")
    if code == 503:
        response["Retry-After"] = "30"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api.json_error_response(404, "not_found", f"no such path: {request.path}")
    return render(request, "error.html", {"status": 404, "message": f"No page at {request.path}."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return api.json_error_response(500, "server_error", "internal error; it has been logged")
    return render(request, "error.html", {"status": 500, "message": "Internal error; it has been logged."}, status=500)
