"""The OpenAPI pieces every endpoint shares: a shape's JSON schema (drf-spectacular's mapping of
the serializers in api.schemas), the error schema, and the parameters of a QuerySpec."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from django import forms
from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from pandjango.api import parameters, schemas


def schema_of(shape: serializers.Field, direction: str = "response") -> dict[str, Any]:
    """The JSON schema drf-spectacular makes of a shape (a serializer or a serializer field, see
    api.schemas), with its nested serializers written in place instead of as components: the
    document describes each answer where it is, and a test can check an answer against it."""
    return copy.deepcopy(_mapped(shape, direction))


@functools.cache
def _mapped(shape: serializers.Field, direction: str) -> dict[str, Any]:
    auto = AutoSchema()
    auto.registry = ComponentRegistry()
    auto.method = "GET" if direction == "response" else "POST"
    # Given a context, the serializer does not ask a view for one: there is none here.
    holder = inline_serializer("Holder", fields={"shape": shape}, context={"schema_only": True})
    component = auto.resolve_serializer(holder, direction)  # type: ignore[arg-type]
    assert component.schema is not None
    components = auto.registry.build({}).get("schemas", {})
    return _in_place(component.schema["properties"]["shape"], components)


def _in_place(node: Any, components: dict[str, Any]) -> Any:
    """A schema with each reference to a component replaced by the component, and without
    drf-spectacular's working marks (x-spec-enum-id, which its enum hook removes from the document)."""
    if isinstance(node, list):
        return [_in_place(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _in_place(components[node["$ref"].rsplit("/", 1)[-1]], components)
    if len(node.get("allOf", ())) == 1:  # a component with a description or nullable beside it
        rest = {key: value for key, value in node.items() if key != "allOf"}
        return {**_in_place(node["allOf"][0], components), **_in_place(rest, components)}
    return {key: _in_place(value, components) for key, value in node.items() if key != "x-spec-enum-id"}


ERROR_SCHEMA = schema_of(schemas.error())


def enveloped(data_schema: dict[str, Any]) -> dict[str, Any]:
    """The envelope around a data schema that is already JSON schema."""
    schema = schema_of(schemas.envelope(serializers.JSONField()))
    schema["properties"]["data"] = data_schema
    return schema


def _extra_parameter(name: str, form_field: forms.Field, description: str) -> OpenApiParameter:
    """An endpoint's own parameter, typed from its form field: choices become an enum, and a
    required one without a default is marked required."""
    kind: type = int if isinstance(form_field, forms.IntegerField) else str
    enum = None
    if isinstance(form_field, forms.ChoiceField):
        enum = [value for value, _ in form_field.choices if value != ""]  # type: ignore[union-attr,misc]
        if not form_field.required:
            enum.append("")  # an optional choice left empty is the same as one not given
    return OpenApiParameter(
        name,
        kind,
        required=form_field.required and form_field.initial is None,
        description=description,
        enum=enum,
        default=form_field.initial,
    )


def _integer(minimum: int, maximum: int) -> dict[str, Any]:
    return schema_of(serializers.IntegerField(min_value=minimum, max_value=maximum))


def _openapi_parameters(spec: parameters.QuerySpec, path_params: dict[str, str]) -> list[OpenApiParameter]:
    params = [OpenApiParameter(name, str if kind == "str" else int, OpenApiParameter.PATH) for name, kind in path_params.items()]
    if spec.filterset is not None:
        for name, flt in spec.filterset.base_filters.items():
            params.append(OpenApiParameter(name, str, description=str(flt.extra.get("help_text", ""))))
    if spec.default_hours is not None:
        max_days = settings.PANDJANGO["limits"]["max_window_days"]
        params += [
            OpenApiParameter("hours", _integer(1, max_days * 24), description=f"window of the last N hours (default {spec.default_hours})"),
            OpenApiParameter("days", _integer(1, max_days), description="window of the last N days"),
            OpenApiParameter("date_from", OpenApiTypes.DATETIME, description="start of the window, ISO 8601 (a date alone is midnight UTC)"),
            OpenApiParameter("date_to", OpenApiTypes.DATETIME, description="end of the window, ISO 8601"),
        ]
    if spec.is_list:
        names = "|".join(re.escape(f) for f in spec.output_fields)
        params += [
            OpenApiParameter("limit", _integer(1, settings.PANDJANGO["limits"]["max_limit"]), description="at most this many rows"),
            OpenApiParameter("sort", str, enum=[*spec.sort_fields, *(f"-{f}" for f in spec.sort_fields)], description="field, or -field for descending"),
            OpenApiParameter(
                "fields", str, pattern=f"^({names})(,({names}))*$", description="comma-separated: " + ", ".join(spec.output_fields)
            ),
        ]
    for name, form_field in spec.extra.items():
        params.append(_extra_parameter(name, form_field, spec.extra_help.get(name, "")))
    params.append(OpenApiParameter("refresh", str, description="1: recompute instead of using the cache (staff only)"))
    params.append(OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the data's rows as CSV (default json)"))
    return params
