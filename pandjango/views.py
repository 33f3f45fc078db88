"""Project-wide views: the landing page, the API index, liveness, and JSON errors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LogoutView
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from pandjango import api
from pandjango.endpoints import ENDPOINTS, nullable, rows_of
from pandjango.meta import MetaView, meta_endpoints
from pandjango.pandadb.models import CloudConfig
from pandjango.sections import BETA_STATE, SECTIONS, beta_group_name, beta_members, section_state, visible_schema, visible_sections


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


class SectionSchemaView(SpectacularJSONAPIView):
    """/api/schema/: the OpenAPI document, without the sections this user may not see."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data = visible_schema(response.data, request.user)
        return response


class BetaTesters(MetaView):
    """/api/meta/beta/ (staff only): who is in the beta testers group, and what they see."""

    endpoint = "meta.beta"
    path_template = "/api/meta/beta/"
    summary = "The beta testers group: its members and the sections in beta (staff only)"
    staff_only = True
    data_schema = {
        "type": "object",
        "properties": {
            "group": {"type": "string"},
            "members": rows_of({
                "username": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
                "is_active": {"type": "boolean"}, "last_login": nullable("string", format="date-time"),
            }),
            "beta_sections": {"type": "array", "items": {"type": "string"}},
        },
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        members = beta_members()
        beta = [name for name in SECTIONS if section_state(name) == BETA_STATE]
        return api.envelope({"group": beta_group_name(), "members": members, "beta_sections": beta}, count=len(members))


class SignOutView(LogoutView):
    """/accounts/logout/: GET asks to confirm, POST signs out (Django signs out on POST only)."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "registration/logout.html")


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
