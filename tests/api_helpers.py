"""Helpers for tests of API endpoints: URLs with any parameters (even those named like the
`get_json` fixture's own arguments, such as `status`), and a check of an answer against the
data schema its endpoint declares for /api/schema/, so that the OpenAPI document cannot
drift from what the endpoint really sends."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import urlencode

import jsonschema
from django.core.cache import caches

from pandjango.api.openapi import enveloped
from pandjango.api.output import iso
from pandjango.caching.backends import RESPONSES
from pandjango.endpoints.base import ENDPOINTS
from pandjango.pandadb.jobs import PRECEDENCE
from pandjango.pandadb.models import JOB_MODELS


@dataclass(frozen=True)
class FixedWindow:
    """A window given as date_from/date_to: the requests and the ORM all see the same rows,
    where a relative `hours=` window would move between them. Sections' tests subclass it
    with what they count in it."""

    start: datetime
    end: datetime

    @classmethod
    def hours_before(cls, seed_now: datetime, hours: float) -> Self:
        """The `hours` up to a minute past the seed's reference time (no seeded row is newer)."""
        end = seed_now + timedelta(minutes=1)
        return cls(end - timedelta(hours=hours), end)

    @property
    def params(self) -> dict[str, str]:
        return {"date_from": iso(self.start), "date_to": iso(self.end)}


def with_query(path: str, **params: Any) -> str:
    """`path?a=1&b=2`: pass it to get_json without other parameters (the test client drops a
    URL's query string when it is also given parameters)."""
    return f"{path}?{urlencode(params)}" if params else path


def as_json_schema(node: Any, strict: bool) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a "null" type. strict: every
    object that lists its properties may hold no others, so an undeclared key fails."""
    if isinstance(node, list):
        return [as_json_schema(item, strict) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value, strict) for key, value in node.items() if key != "nullable"}
    if "properties" in node:
        # Property names are data, not schema keywords: convert only their schemas.
        out["properties"] = {name: as_json_schema(schema, strict) for name, schema in node["properties"].items()}
        if strict:
            out.setdefault("additionalProperties", False)
    if node.get("nullable") is True:
        out["type"] = [node["type"], "null"]
    return out


def assert_matches_schema(body: Any, endpoint: str) -> None:
    data_schema = as_json_schema(ENDPOINTS[endpoint].data_schema, strict=True)
    schema = as_json_schema(enveloped({}), strict=False)
    schema["properties"]["data"] = data_schema
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


def each_job_once(tables: Iterable[str], select: Callable[[Any], Iterable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The rows `select` picks from each of these job tables (given the table's queryset; rows
    must carry "pandaid"), a row left out when a table before it in PRECEDENCE holds its
    PandaID: the rule the endpoints count by, applied by hand."""
    wanted = set(tables)
    rows: list[dict[str, Any]] = []
    held: set[int] = set()
    for table in PRECEDENCE:
        if table not in wanted:
            continue
        queryset = JOB_MODELS[table]._default_manager.all()
        rows += [row for row in select(queryset) if row["pandaid"] not in held]
        held |= set(queryset.values_list("pandaid", flat=True))
    return rows


def forget_cached_answers() -> None:
    """Empties the responses cache: the next request computes its answer with the config as it is now."""
    caches[RESPONSES].clear()
