"""The API's answers: the envelope around the rows, and orjson in and out."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.utils import timezone
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from pandjango.pandadb.dates import is_unset
from pandjango.pandadb.jobs import Window

# ---------------------------------------------------------------------------- rendering


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # Oracle NUMBER columns
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class OrjsonParser(BaseParser):
    """JSON bodies of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, read by orjson, which refuses
    nesting past 1024 levels with a decode error (the standard library's parser recurses
    until Python's own limit: a 500)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        maximum = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = b"" if stream is None else stream.read(maximum + 1) if maximum else stream.read()
        if maximum and len(body) > maximum:
            raise ParseError(f"the body is larger than {maximum} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"the body is not JSON that can be read: {exc}") from None


def clean_dates(rows: Iterable[dict[str, Any]]) -> None:
    """PanDA marks unset dates as 1970-01-01; the API says null."""
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime) and is_unset(value):
                row[key] = None


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    data: Any,
    *,
    window: Window | None = None,
    limit: int | None = None,
    count: int | None = None,
    truncated: bool = False,
    **meta: Any,
) -> dict[str, Any]:
    head: dict[str, Any] = {"generated_at": iso(timezone.now())}
    if window is not None:
        head["window"] = {"from": iso(window.start), "to": iso(window.end)}
    if limit is not None:
        head["limit"] = limit
    if count is not None:
        head["count"] = count
    if count is not None or limit is not None:
        head["truncated"] = truncated
    head.update(meta)
    if head.get("source") == "direct":  # read just now (rollups, pandjango/rollups/, give their own time)
        head["fresh_as_of"] = head["generated_at"]
    return {"data": data, "meta": head}


def max_summary_rows() -> int:
    """The rows of a summary, of each list of a facets or errors answer (limits.max_summary_rows)."""
    return int(settings.PANDJANGO["limits"]["max_summary_rows"])

