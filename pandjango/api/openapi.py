"""The OpenAPI pieces every endpoint shares: the envelope and error schemas, and the parameters of a QuerySpec."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter

from pandjango.api import parameters

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["status", "code", "message"],
        }
    },
    "required": ["error"],
}

META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "generated_at": {"type": "string", "format": "date-time"},
        "window": {
            "type": "object",
            "properties": {"from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"}},
        },
        "limit": {"type": "integer"},
        "count": {"type": "integer"},
        "truncated": {"type": "boolean"},
    },
    "required": ["generated_at"],
}


def enveloped(data_schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"data": data_schema, "meta": META_SCHEMA}, "required": ["data", "meta"]}


def rows_of(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "properties": properties}}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


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


# A window's times, as the document says them (parameters._parse_time also takes a date alone).
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def _integer(minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


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
            OpenApiParameter("date_from", DATE_TIME, description="start of the window, ISO 8601 (a date alone is midnight UTC)"),
            OpenApiParameter("date_to", DATE_TIME, description="end of the window, ISO 8601"),
        ]
    if spec.is_list:
        names = "|".join(re.escape(f) for f in spec.output_fields)
        params += [
            OpenApiParameter("limit", _integer(1, settings.PANDJANGO["limits"]["max_limit"]), description="at most this many rows"),
            OpenApiParameter("sort", str, enum=[*spec.sort_fields, *(f"-{f}" for f in spec.sort_fields)], description="field, or -field for descending"),
            OpenApiParameter(
                "fields", {"type": "string", "pattern": f"^({names})(,({names}))*$"}, description="comma-separated: " + ", ".join(spec.output_fields)
            ),
        ]
    for name, form_field in spec.extra.items():
        params.append(_extra_parameter(name, form_field, spec.extra_help.get(name, "")))
    params.append(OpenApiParameter("refresh", str, description="1: recompute instead of using the cache (staff only)"))
    params.append(OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the data's rows as CSV (default json)"))
    return params
