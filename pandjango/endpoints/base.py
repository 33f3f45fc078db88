"""The base of every section's API view, and the registry of endpoints.

A view says what it takes (its QuerySpec), what it answers (summary, data_shape) and one
`get` that reads in the order a request is served: validate the parameters (400), the
cached answer, else the query and its envelope. Who may see it is a permission
(SectionOpen). Its section, endpoint name and path are not written in the view: they come
from the app it lives in and the URL that routes to it (`bind_endpoints`, at start-up).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, cast

from django.apps import apps
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from pandjango.api import errors, parameters, schemas
from pandjango.api.openapi import ERROR_SCHEMA, _openapi_parameters, schema_of
from pandjango.caching import answers, points
from pandjango.sections import can_see

ENDPOINTS: dict[str, type[SectionView]] = {}


class SectionOpen(BasePermission):
    """The view's section is open to this user (config [sections]); OPTIONS too, since DRF's
    answer names and describes the view. A 403 JSON error otherwise, never DRF's 401."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not can_see(request.user, view.section):
            raise errors.ApiError(403, "forbidden", f"the {view.section} section is not open to you")
        return True


class EndpointSchema(AutoSchema):
    """A GET's OpenAPI operation, from what the view declares."""

    @property
    def declared_view(self) -> SectionView:
        return cast(SectionView, self.view)

    def _declared(self) -> bool:
        return self.method == "GET"

    def get_auth(self) -> list[dict[str, Any]]:
        # No credentials needed where the section is public: SectionOpen decides per request.
        return [*super().get_auth(), {}]

    def get_operation_id(self) -> str:
        return self.declared_view.endpoint.replace(".", "_") if self._declared() else super().get_operation_id()

    def get_tags(self) -> list[str]:
        return [self.declared_view.section] if self._declared() else super().get_tags()

    def get_summary(self) -> str | None:
        return self.declared_view.summary if self._declared() else super().get_summary()

    def get_override_parameters(self) -> list[Any]:
        if not self._declared():
            return super().get_override_parameters()
        return _openapi_parameters(self.declared_view.spec, self.declared_view.path_params)

    def get_response_serializers(self) -> Any:
        if not self._declared():
            return super().get_response_serializers()
        responses: dict[int, Any] = {200: answer_schema(type(self.declared_view)), 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 503: ERROR_SCHEMA}
        if self.declared_view.not_found:
            responses[404] = ERROR_SCHEMA
        return responses


class DataSchema:
    """A view's `data_schema`: the JSON schema of its `data_shape`, as the document has it."""

    def __get__(self, instance: object, owner: type[SectionView]) -> dict[str, Any]:
        return schema_of(owner.data_shape)


@functools.cache
def _enveloped(data_shape: serializers.Field) -> serializers.Field:
    return schemas.envelope(data_shape)


def answer_schema(view: type[SectionView]) -> dict[str, Any]:
    """The JSON schema of a view's answer: its data_shape in the envelope."""
    return schema_of(_enveloped(view.data_shape))


class SectionView(APIView):
    spec: ClassVar[parameters.QuerySpec] = parameters.QuerySpec()
    summary: ClassVar[str] = ""
    data_shape: ClassVar[serializers.Field] = serializers.DictField()  # what `data` holds (api.schemas)
    data_schema = DataSchema()
    not_found: ClassVar[bool] = False  # may answer 404
    permission_classes = [SectionOpen]
    schema = EndpointSchema()

    # From the app and the URL (bind_endpoints): "production", "production.jobs" (the cache's
    # and the /api/ index's name), "/api/production/jobs/<pandaid>/" and {"pandaid": "int"}.
    section: ClassVar[str] = ""
    endpoint: ClassVar[str] = ""
    path_template: ClassVar[str] = ""
    path_params: ClassVar[dict[str, str]] = {}

    def validated(self, request: Request) -> parameters.Query:
        """The request's parameters, validated against the view's QuerySpec (400 on anything wrong)."""
        return parameters.parse_query(request, self.spec)

    def cached_answer(self, request: Request, query: parameters.Query) -> Callable[[Callable[[], Any]], HttpResponse]:
        """Used as a decorator on the function that queries and makes the envelope: the
        stored answer when the cache has it, else that function's answer, stored."""

        def answer(compute: Callable[[], Any]) -> HttpResponse:
            return answers.cached_answer(request, self.endpoint, query.normalized, self.kwargs, compute)

        return answer


# ---------------------------------------------------------------------------- from the URLconf


def _routes(patterns: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def bind_endpoints() -> None:
    """Gives every SectionView in the URLconf its section (the app's label, or its class's
    own), its endpoint name (the section and the URL name's last word: production-jobs ->
    production.jobs), its path and its path parameters, and registers it by that name."""
    for route, pattern in _routes(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if not (isinstance(view, type) and issubclass(view, SectionView)) or not pattern.name:
            continue
        app = apps.get_containing_app_config(view.__module__)
        view.section = view.section or (app.label if app else "")
        view.endpoint = f"{view.section}.{pattern.name.rsplit('-', 1)[-1]}"
        view.path_template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route)
        view.path_params = {
            name: "int" if isinstance(converter, IntConverter) else "str" for name, converter in pattern.pattern.converters.items()
        }
        ENDPOINTS[view.endpoint] = view
        points.register_endpoint(view.endpoint, view.path_template, api=True)
