"""The base of every section's API view, and the registry of endpoints.

A view names its endpoint ("production.jobs"), its section and its QuerySpec, and answers
`get_data(request, query, **kwargs)` with a plain dict (usually `render.envelope(...)`). The
path of a request is the same for all: section open to this user? -> parse and validate
-> (cache) -> query -> envelope -> orjson bytes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pandjango.api import errors, parameters
from pandjango.api.openapi import ERROR_SCHEMA, _openapi_parameters, enveloped
from pandjango.caching import answers, points
from pandjango.sections import can_see

ENDPOINTS: dict[str, type[SectionView]] = {}


class SectionView(APIView):
    section: ClassVar[str] = ""
    endpoint: ClassVar[str] = ""  # "section.name": the cache and the /api/ index use it
    path_template: ClassVar[str] = ""  # "/api/production/jobs/<pandaid>/", for the index
    spec: ClassVar[parameters.QuerySpec] = parameters.QuerySpec()
    path_params: ClassVar[dict[str, str]] = {}
    summary: ClassVar[str] = ""
    data_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    not_found: ClassVar[bool] = False  # may answer 404

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.endpoint:
            return
        ENDPOINTS[cls.endpoint] = cls
        points.register_endpoint(cls.endpoint, cls.path_template, api=True)
        responses: dict[int, Any] = {200: enveloped(cls.data_schema), 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 503: ERROR_SCHEMA}
        if cls.not_found:
            responses[404] = ERROR_SCHEMA

        def get(self: SectionView, request: Request, *args: Any, **kw: Any) -> HttpResponse:
            return SectionView.answer(self, request, **kw)

        cls.get = extend_schema(  # type: ignore[attr-defined]
            summary=cls.summary,
            parameters=_openapi_parameters(cls.spec, cls.path_params),
            responses=responses,
            tags=[cls.section],
            operation_id=cls.endpoint.replace(".", "_"),
        )(get)

    def check_section(self, request: HttpRequest) -> None:
        if not can_see(request.user, self.section):
            raise errors.ApiError(403, "forbidden", f"the {self.section} section is not open to you")

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        # DRF's answer names and describes the view: not for a section this user may not see.
        self.check_section(request)
        return super().options(request, *args, **kwargs)

    def answer(self, request: Request, **kwargs: Any) -> HttpResponse:
        self.check_section(request)
        query = parameters.parse_query(request, self.spec)
        return answers.cached_answer(request, self.endpoint, query.normalized, kwargs, lambda: self.get_data(request, query, **kwargs))

    def get_data(self, request: Request, query: parameters.Query, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError
