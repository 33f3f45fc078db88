"""The answers' shapes (pandjango.api.schemas): declared as serializers, mapped by drf-spectacular
into schemas that stand on their own, and in step with the columns each endpoint offers."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from pandjango.api import schemas
from pandjango.api.openapi import schema_of
from pandjango.endpoints.base import ENDPOINTS
from pandjango.endpoints.meta import PandjangoSchemaGenerator
from pandjango.pandadb.models import JobColumns


def _references(node: Any) -> list[str]:
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if "$ref" in node else []
    return own + [ref for value in node.values() for ref in _references(value)]


def test_every_answer_is_described_where_it_is() -> None:
    document = PandjangoSchemaGenerator().get_schema(request=None, public=True)
    assert _references(document["paths"]) == []
    assert not document.get("components", {}).get("schemas")


@pytest.mark.parametrize("name", sorted(name for name, view in ENDPOINTS.items() if view.spec.is_list))
def test_a_list_documents_every_column_it_offers(name: str) -> None:
    view = ENDPOINTS[name]
    row = view.data_schema["items"]["properties"]
    assert set(view.spec.output_fields) <= set(row), set(view.spec.output_fields) - set(row)
    assert set(view.spec.default_fields) <= set(view.spec.output_fields)


def test_a_model_column_is_typed_from_the_model_and_a_date_may_be_null() -> None:
    row = schema_of(schemas.rows(schemas.columns_of(JobColumns, ["pandaid", "computingsite", "starttime"])))
    assert row == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "pandaid": {"type": "integer"},
                "computingsite": {"type": "string", "nullable": True},
                "starttime": {"type": "string", "format": "date-time", "nullable": True},
            },
        },
    }


def test_an_object_requires_its_fields_and_a_nullable_one_says_so() -> None:
    shape = schemas.obj({"a": schemas.integer(), "b": schemas.text(nullable=True, required=False)}, "what it is", nullable=True)
    assert schema_of(shape) == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "nullable": True}},
        "required": ["a"],
        "description": "what it is",
        "nullable": True,
    }


def test_an_enum_carries_no_working_marks() -> None:
    assert schema_of(schemas.one_of(["x", "y"])) == {"enum": ["x", "y"], "type": "string"}


def test_the_envelope_adds_to_the_common_meta() -> None:
    answer = schema_of(schemas.envelope(serializers.JSONField(), meta={"missing": schemas.list_of(schemas.integer())}))
    meta = answer["properties"]["meta"]
    assert set(answer["required"]) == {"data", "meta"} and meta["required"] == ["generated_at"]
    assert meta["properties"]["missing"] == {"type": "array", "items": {"type": "integer"}}
    assert meta["properties"]["window"]["properties"]["from"] == {"type": "string", "format": "date-time"}
