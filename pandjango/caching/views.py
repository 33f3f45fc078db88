"""/api/meta/cache/ (the caching points, for staff) and /api/meta/ping/ (the smallest JSON
answer the server gives: no database, no cache; the floor the caching benchmark compares with).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pandjango.api import errors, output, schemas
from pandjango.api.openapi import ERROR_SCHEMA, schema_of
from pandjango.caching import points

PING = output.dumps({"status": "ok"})

CACHE_SCHEMA = schema_of(
    schemas.envelope(
        schemas.loose({
            "backend": schemas.one_of(["memcached", "file", "memory", "none"]),
            "default": schemas.integer("lifetime in seconds of an endpoint not under cache.lifetimes"),
            "servers": schemas.list_of(schemas.text()),
            "timeout_seconds": schemas.number(),
            "file_dir": schemas.text(),
            "endpoints": schemas.rows({
                "endpoint": schemas.text(),
                "path": schemas.text(),
                "lifetime": schemas.integer("seconds; 0: not cached"),
                "set_by": schemas.one_of(["cache.lifetimes", "cache.default"]),
            }),
            "warm": schemas.list_of(schemas.text()),
            "config": schemas.text(),
        })
    )
)

def _no_parameters(request: Request) -> None:
    if request.query_params:
        raise errors.bad_request(f"{request.path} takes no parameters", **{name: "unknown parameter" for name in request.query_params})


class CachingPoints(APIView):
    @extend_schema(
        summary="The caching points: each endpoint's lifetime, the backend and the warmed paths (staff only)",
        responses={200: CACHE_SCHEMA, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA},
        tags=["meta"],
        operation_id="meta_cache",
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_staff:
            raise errors.ApiError(403, "forbidden", "/api/meta/cache/ is for staff only")
        _no_parameters(request)
        return Response(output.envelope(points.cache_description()))


class Ping(APIView):
    @extend_schema(
        summary="The smallest answer: the Django stack alone, no database, no cache",
        responses={200: schema_of(schemas.loose({"status": schemas.text()})), 400: ERROR_SCHEMA},
        tags=["meta"],
        operation_id="meta_ping",
    )
    def get(self, request: Request) -> HttpResponse:
        _no_parameters(request)
        # Bytes, like a cached answer: no renderer to run, the least an answer can cost.
        return HttpResponse(PING, content_type="application/json")
