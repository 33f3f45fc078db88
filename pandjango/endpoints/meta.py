"""The meta endpoints: the ones that belong to no section (/api/search/, and the plain
Django views /api/, /api/schema/ and /healthz), and their place in the OpenAPI document.

A meta endpoint is a SectionView without a section to check: it is open to everyone, or to
signed-in staff only (`staff_only`, the MetaOpen permission). The /api/ index lists every endpoint outside the
sections under `meta.endpoints`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.http import HttpResponse
from django.urls import URLPattern, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from pandjango.api import errors, output, parameters, schemas
from pandjango.api.openapi import ERROR_SCHEMA, schema_of
from pandjango.endpoints import search
from pandjango.endpoints.base import SectionView
from pandjango.rollups.models import ACTIVE, JOBS, LIVE_WORKERS, WORKERS

META = "meta"


class MetaOpen(BasePermission):
    """Open to everyone, or to signed-in staff only when the view says `staff_only`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.staff_only and not request.user.is_staff:
            raise errors.ApiError(403, "forbidden", f"{view.path_template} is for staff only")
        return True


class MetaView(SectionView):
    """An endpoint outside the sections: no section state to check."""

    section = META
    staff_only: ClassVar[bool] = False
    permission_classes = [MetaOpen]


class Search(MetaView):
    summary = "Quick search: what a PandaID, batch id, JEDI task id, Harvester worker id, queue nickname or user name names"
    spec = parameters.QuerySpec(
        extra={
            "q": forms.CharField(
                max_length=200,
                error_messages={
                    "required": "is required: a PandaID, batch id, JEDI task id, Harvester worker id, queue nickname or user name",
                    "max_length": "must be at most 200 characters",
                },
            )
        },
        extra_help={"q": "what to look for (at most 200 characters); a queue matches by its full name or the start of it, in any case"},
    )
    data_shape = schemas.rows({
        "kind": schemas.one_of(sorted(search.KINDS)),
        "id": schemas.text(),
        "url": schemas.text("the page of the hit (the API path without /api)"),
        "label": schemas.text(),
    })

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            hits = search.quick_search(query.extra["q"], request.user)
            return output.envelope(hits, count=len(hits))

        return answer


# ---------------------------------------------------------------------------- plain views

def _endpoint_rows() -> Any:
    return schemas.rows({"name": schemas.text(), "summary": schemas.text(), "path": schemas.text()})


INDEX_SCHEMA = schema_of(
    schemas.envelope(
        schemas.rows(
            {"name": schemas.text(), "state": schemas.one_of(["public", "beta"]), "url": schemas.text(), "endpoints": _endpoint_rows()},
            description="the sections this user may see",
        ),
        meta={"endpoints": _endpoint_rows()},
    )
)


def _rollups_state(description: str, parts: dict[str, Any] | None = None) -> Any:
    return schemas.loose(
        {
            "state": schemas.one_of(["off", "unavailable", "never run", "ok", "stale"]),
            "error": schemas.text("why the rollups could not be read (state unavailable)"),
            "fresh_as_of": schemas.when("the start of the part's last complete refresher run (the snapshot's: the run that took it); null before the first"),
            "lag_seconds": schemas.number("how far behind now fresh_as_of is", nullable=True),
            **(parts or {}),
        },
        description,
    )


HEALTH_SCHEMA = schema_of(
    schemas.obj({
        "status": schemas.text(),
        "database": schemas.text(),
        "cache": schemas.text(),
        "rollups": _rollups_state(
            "the job count rollups (docs/rollups.md): off, never run, ok or stale by rollups.max_lag_seconds; each part under parts",
            {
                "parts": schemas.loose(
                    {
                        JOBS: _rollups_state("the job rollups (the same as the top level)"),
                        ACTIVE: _rollups_state("the active jobs' snapshot: stale past rollups.active_max_lag_seconds (the active tables are then read live)"),
                        WORKERS: _rollups_state("the worker rollups: stale past rollups.max_lag_seconds"),
                        LIVE_WORKERS: _rollups_state(
                            "the live workers' snapshot: stale past rollups.active_max_lag_seconds (the live workers are then read from HARVESTER_WORKERS)"
                        ),
                    },
                    "each part of the rollups by its own mark",
                )
            },
        ),
    })
)


def _json(schema: dict[str, Any], description: str = "", media_type: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


# The project's own Django views, described here because drf-spectacular only sees DRF views.
PLAIN_ENDPOINTS: list[dict[str, Any]] = [
    {
        "name": "meta.index", "path": "/api/", "summary": "The sections this user may see, with their state and endpoints",
        "responses": {"200": _json(INDEX_SCHEMA), "400": _json(ERROR_SCHEMA, "/api/ takes no parameters"), "405": _json(ERROR_SCHEMA)},
    },
    {
        "name": "meta.schema", "path": "/api/schema/", "summary": "This OpenAPI 3 document",
        "responses": {"200": _json(schema_of(serializers.DictField()), "OpenAPI 3 document", "application/vnd.oai.openapi+json")},
    },
    {
        "name": "meta.healthz", "path": "/healthz", "summary": "Liveness: the database and the cache",
        "responses": {"200": _json(HEALTH_SCHEMA), "503": _json(HEALTH_SCHEMA, "the database is unavailable (with Retry-After)")},
    },
]


def _name_and_summary(path: str, view: Any) -> tuple[str, str]:
    """A section view's endpoint name and summary; for a plain view, a name from its path
    (/api/meta/cache/ -> meta.cache) and the first paragraph of its docstring."""
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if isinstance(view_class, type) and issubclass(view_class, SectionView) and view_class.endpoint:
        return view_class.endpoint, view_class.summary
    name = path.strip("/").removeprefix("api").strip("/").removeprefix("meta/") or "index"
    doc = (view_class or view).__doc__ or ""
    return f"{META}.{name}", " ".join(doc.split("\n\n")[0].split())


def meta_endpoints() -> list[dict[str, str]]:
    """Every endpoint outside the sections, for the /api/ index: the project's own URLs under
    /api/ (the sections' are included from their apps) and /healthz."""
    plain = {e["path"]: e for e in PLAIN_ENDPOINTS}
    out = []
    for pattern in get_resolver().url_patterns:
        route = str(pattern.pattern)
        if not isinstance(pattern, URLPattern) or not (route.startswith("api/") or route == "healthz"):
            continue
        path = "/" + route
        name, summary = (plain[path]["name"], plain[path]["summary"]) if path in plain else _name_and_summary(path, pattern.callback)
        out.append({"name": name, "summary": summary, "path": path})
    return sorted(out, key=lambda e: e["path"])


def _is_schema_view(callback: Any) -> bool:
    view_class = getattr(callback, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, SpectacularAPIView)


class PandjangoSchemaGenerator(SchemaGenerator):
    """The OpenAPI document of the DRF views plus the plain views above. The schema view
    itself is one of the plain views: described there, not guessed at."""

    def _initialise_endpoints(self) -> None:
        super()._initialise_endpoints()
        endpoints: list[Any] = list(self.endpoints or [])  # (path, regex, method, callback)
        self.endpoints = [e for e in endpoints if not _is_schema_view(e[-1])]

    def parse(self, input_request: Any, public: bool) -> dict[str, Any]:
        paths: dict[str, Any] = super().parse(input_request, public)
        for plain in PLAIN_ENDPOINTS:
            paths[plain["path"]] = {
                "get": {
                    "operationId": plain["name"].replace(".", "_"),
                    "summary": plain["summary"],
                    "tags": [META],
                    "responses": plain["responses"],
                }
            }
        return dict(sorted(paths.items()))
