"""Project-wide views: the landing page, the API index, liveness, and JSON errors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from pandjango.api import errors, output, schemas
from pandjango.caching.backends import RESPONSES
from pandjango.edge import throttling
from pandjango.endpoints.base import ENDPOINTS
from pandjango.endpoints.meta import MetaView, meta_endpoints
from pandjango.pandadb.models import JobsActive4
from pandjango.rollups import reading
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


@csrf_exempt  # read-only: another method is a 405, not a CSRF failure
def api_index(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        response = errors.json_error_response(405, "method_not_allowed", "only GET")
        response["Allow"] = "GET"
        return response
    if request.GET:
        return errors.json_error_response(400, "bad_request", "/api/ takes no parameters")
    unauthenticated = errors.authenticate(request)  # an API token sees what its user sees
    if unauthenticated is not None:
        return unauthenticated
    body = output.envelope(_sections_for(request), count=None, endpoints=meta_endpoints())
    return HttpResponse(output.dumps(body), content_type="application/json")


class SectionSchemaView(SpectacularJSONAPIView):
    """/api/schema/: the OpenAPI document, without the sections this user may not see."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data = visible_schema(response.data, request.user)
        return response


class BetaTesters(MetaView):
    """/api/meta/beta/ (staff only): who is in the beta testers group, and what they see."""

    summary = "The beta testers group: its members and the sections in beta (staff only)"
    staff_only = True
    data_shape = schemas.loose({
        "group": schemas.text(),
        "members": schemas.rows({
            "username": schemas.text(), "name": schemas.text(), "email": schemas.text(),
            "is_active": schemas.flag(), "last_login": schemas.when(),
        }),
        "beta_sections": schemas.list_of(schemas.text()),
    })

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            members = beta_members()
            beta = [name for name in SECTIONS if section_state(name) == BETA_STATE]
            return output.envelope({"group": beta_group_name(), "members": members, "beta_sections": beta}, count=len(members))

        return answer


class SignInForm(AuthenticationForm):
    """Django's sign-in form, which says so when failed sign-ins have used up the allowance
    of this account or this address (pandjango/edge/throttling.py)."""

    def get_invalid_login_error(self) -> ValidationError:
        refused_for = throttling.sign_in_refused_for(self.request)
        if refused_for is not None:
            return ValidationError(throttling.sign_in_refusal_message(refused_for), code="rate_limited")
        return super().get_invalid_login_error()


class SignInView(LoginView):
    """/accounts/login/: Django's sign-in, answering 429 with Retry-After while sign-ins of
    this account or from this address are refused."""

    form_class = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        refused_for = throttling.sign_in_refused_for(self.request)
        context["refusal"] = throttling.sign_in_refusal_message(refused_for) if refused_for is not None else ""
        return context

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        refused_for = throttling.sign_in_refused_for(self.request)
        if refused_for is not None:
            response.status_code = 429
            response["Retry-After"] = str(refused_for)
        return response


class SignOutView(LogoutView):
    """/accounts/logout/: GET asks to confirm, POST signs out (Django signs out on POST only)."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "registration/logout.html")


def _failure(exc: Exception) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return f"{type(exc).__name__} {code}" if code is not None else type(exc).__name__


def _database_health() -> str:
    """Says "ok", or which database failed and how; never the server's own message (it may
    name hosts and users, and /healthz is public)."""
    failed = []
    # JOBSACTIVE4 is in every PanDA database, whatever else its release has or has dropped.
    probes = (("panda", lambda: JobsActive4.objects.exists()), ("default", lambda: connections["default"].ensure_connection()))
    for alias, check in probes:
        try:
            check()
        except DatabaseError as exc:
            failed.append(f"{alias} database: {_failure(exc)}")
            connections[alias].close()  # the next request connects afresh
    return "unavailable: " + "; ".join(failed) if failed else "ok"


def _cache_health() -> str:
    if RESPONSES not in settings.CACHES:
        return "off"
    try:
        caches[RESPONSES].get("healthz")
    except Exception as exc:  # the cache is optional: answers are served uncached meanwhile
        return f"unavailable: {_failure(exc)}"
    return "ok"


@csrf_exempt  # read-only: another method is a 405, not a CSRF failure
def healthz(request: HttpRequest) -> HttpResponse:
    """The database down is a 503 (nothing can be served); the cache down is only "degraded"."""
    if request.method not in ("GET", "HEAD"):
        response = errors.json_error_response(405, "method_not_allowed", "only GET and HEAD")
        response["Allow"] = "GET, HEAD"
        return response
    database, cache = _database_health(), _cache_health()
    state = "unavailable" if database != "ok" else "degraded" if cache.startswith("unavailable") else "ok"
    code = 503 if state == "unavailable" else 200
    body = {"status": state, "database": database, "cache": cache, "rollups": reading.status() if database == "ok" else {"state": "unavailable"}}
    response = HttpResponse(output.dumps(body), status=code, content_type="application/json")
    response["Cache-Control"] = "no-store"
    if code == 503:
        response["Retry-After"] = str(errors.RETRY_AFTER_SECONDS)
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return errors.json_error_response(404, "not_found", f"no such path: {request.path}")
    return render(request, "error.html", {"status": 404, "message": f"No page at {request.path}."}, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its CSRF token, or with a stale one (settings.CSRF_FAILURE_VIEW)."""
    message = "The form was sent without a valid security token (CSRF): go back, reload the page and send it again."
    if _wants_json(request):
        return errors.json_error_response(403, "csrf_failed", message)
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return errors.json_error_response(500, "server_error", "internal error; it has been logged")
    return render(request, "error.html", {"status": 500, "message": "Internal error; it has been logged."}, status=500)
