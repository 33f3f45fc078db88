"""The shapes of the answers, declared as DRF serializers that only describe them (nothing is
serialized with them): the envelope, its meta and the error every endpoint shares, and the
helpers a section declares its own shapes with. `openapi.schema_of` has drf-spectacular map
a shape to its JSON schema.

A shape is a serializer field: an object (`obj`, every property always present), a list of
rows (`rows`, a row holds the columns asked for with fields=, so none is required), counts by
name (`counts`), or any DRF field. A model's columns come with `columns_of`: their types from
the model, every date nullable (PanDA's 1970-01-01 "unset" marker is answered as null).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

# Nested serializers become components while drf-spectacular maps a shape, and
# openapi.schema_of writes them in place: their names only need to differ.
_numbers = itertools.count(1)


def _named(fields: Mapping[str, serializers.Field], **kwargs: Any) -> Any:
    return inline_serializer(f"Shape{next(_numbers)}", fields=dict(fields), **kwargs)


def obj(fields: Mapping[str, serializers.Field], description: str | None = None, nullable: bool = False, **kwargs: Any) -> Any:
    """An object whose properties are these fields (required unless a field says otherwise)."""
    return _named(fields, help_text=description, allow_null=nullable, **kwargs)


def loose(fields: Mapping[str, serializers.Field], description: str | None = None, nullable: bool = False) -> Any:
    """An object with these fields, none of them required."""
    return obj({name: optional(field) for name, field in fields.items()}, description, nullable)


def optional(field: serializers.Field) -> serializers.Field:
    """The field, not required. (A field is copied from the arguments it was made with, so
    these must say it.)"""
    args, kwargs = copy.deepcopy((field._args, field._kwargs))  # type: ignore[attr-defined]
    return type(field)(*args, **{**kwargs, "required": False})


def rows(fields: Mapping[str, serializers.Field], description: str | None = None) -> Any:
    """A list of rows with these fields, none of them required."""
    return _named({name: optional(field) for name, field in fields.items()}, many=True, help_text=description)


def list_of(child: serializers.Field, description: str | None = None, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=child, help_text=description, **kwargs)


def dict_of(child: serializers.Field, description: str | None = None) -> serializers.DictField:
    """An object whose keys are data (a pandaid, a field's name), each holding a `child`."""
    return serializers.DictField(child=child, help_text=description)


def counts(description: str | None = None) -> serializers.DictField:
    """Integers by name (a status, a jobstatus)."""
    return serializers.DictField(child=serializers.IntegerField(), help_text=description)


def text(description: str | None = None, nullable: bool = False, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(help_text=description, allow_null=nullable, **kwargs)


def integer(description: str | None = None, nullable: bool = False, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=description, allow_null=nullable, **kwargs)


def number(description: str | None = None, nullable: bool = False) -> serializers.FloatField:
    return serializers.FloatField(help_text=description, allow_null=nullable)


def when(description: str | None = None, nullable: bool = True, **kwargs: Any) -> serializers.DateTimeField:
    """A time; nullable unless said otherwise."""
    return serializers.DateTimeField(help_text=description, allow_null=nullable, **kwargs)


def flag(description: str | None = None, **kwargs: Any) -> serializers.BooleanField:
    return serializers.BooleanField(help_text=description, **kwargs)


def one_of(choices: Sequence[str], description: str | None = None) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(choices), help_text=description)


@extend_schema_field({"anyOf": [build_basic_type(OpenApiTypes.STR), build_basic_type(OpenApiTypes.INT)]})
class TextOrNumber(serializers.Field):
    """A value that is a string or an integer (a facet's value: a site, a task id)."""


def columns_of(
    model: type[models.Model], columns: Sequence[str], descriptions: Mapping[str, str] | None = None, nullable: bool = False
) -> dict[str, serializers.Field]:
    """These columns of the model (by column name) as fields: a date is always nullable, an
    integer or a string when the column is (or when `nullable` says all are)."""
    by_column = {f.column: f for f in model._meta.concrete_fields if f.column}
    descriptions = descriptions or {}
    out: dict[str, serializers.Field] = {}
    for column in columns:
        field = by_column[column]
        description = descriptions.get(column)
        if isinstance(field, models.DateTimeField):
            out[column] = when(description)
        elif isinstance(field, models.IntegerField):
            out[column] = integer(description, nullable=nullable or field.null)
        else:
            out[column] = text(description, nullable=nullable or field.null)
    return out


# ---------------------------------------------------------------------------- what every answer has


def error() -> Any:
    return obj({
        "error": obj({
            "status": integer(),
            "code": text(),
            "message": text(),
            "fields": serializers.DictField(child=text(), required=False),
        })
    })


def meta_fields() -> dict[str, serializers.Field]:
    return {
        "generated_at": when(nullable=False),
        "window": obj({"from": when(nullable=False, required=False), "to": when(nullable=False, required=False)}, required=False),
        "limit": integer(required=False),
        "count": integer(required=False),
        "truncated": flag(required=False),
        # The summaries' (docs/rollups.md): counted from our rollups or read directly, and how fresh.
        "source": serializers.ChoiceField(
            choices=["rollup", "direct"], required=False, help_text="rollup: from our pre-aggregated counts; direct: read from PanDA's tables"
        ),
        "fresh_as_of": when("the data's time: a rollup answer's last refresher run, a direct answer's generated_at", nullable=False, required=False),
        "active_source": serializers.ChoiceField(
            choices=["snapshot", "live"],
            required=False,
            help_text="a rollup answer counting the active tables: snapshot, their counts as of fresh_as_of; live, read from them now",
        ),
        "live_source": serializers.ChoiceField(
            choices=["snapshot", "live"],
            required=False,
            help_text="an autopilot rollup answer: snapshot, its live workers counted as of fresh_as_of; live, read from HARVESTER_WORKERS now",
        ),
    }


def envelope(data: serializers.Field, meta: Mapping[str, serializers.Field] | None = None) -> Any:
    """{data, meta}: the data's shape, and the meta every answer has (generated_at, and the
    window, limit, count and truncated flag of those that have them) with `meta`'s additions."""
    added = {name: optional(field) for name, field in (meta or {}).items()}
    return obj({"data": data, "meta": obj({**meta_fields(), **added})})
