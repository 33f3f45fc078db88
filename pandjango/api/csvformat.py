"""The API's answers as CSV (`?format=csv`): the rows of an answer's `data`, flat.

The CSV is made from the same data as the JSON (same limits, same fields for the same viewer),
written by the csv module. Each shape of `data` has one flat form:

- a list of rows: one line per row; a nested object becomes dotted columns (`jobs.failed`), a
  list of objects inside a row one line per item with the row's own values in front
  (autopilot queues: one line per queue), a list of plain values is joined with `|`;
- a matrix (`rows`, `cols`, `cells`): one line per cell, `<row_field>,<col_field>,count`;
- a time series (`bins`, `series`): one line per bin and series, `bin,<groupby or series>,<metric>`;
- an object of lists (facets, the errors summary): the lines of every list, the list's name in
  the first column, `group`;
- an object of objects (the status of jobs, keyed by pandaid): one line each, the key first, `key`;
- one object (a detail): one line.

A text that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage
return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import decimal
import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import orjson
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from pandjango.api import errors, output

MEDIA_TYPE = "text/csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Row = dict[str, Any]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return output.iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # Oracle NUMBER columns, as the JSON has them
        return orjson.loads(output.dumps(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return "|".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return output.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _flat(row: Mapping[str, Any], prefix: str = "") -> Row:
    out: Row = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def _row_lines(row: Mapping[str, Any]) -> list[Row]:
    nested = [key for key, value in row.items() if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value)]
    if not nested:
        return [_flat(row)]
    own = _flat({key: value for key, value in row.items() if key not in nested})
    return [own | line for key in nested for item in row[key] for line in _row_lines(item)]


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, Mapping) for v in value)


def flat_rows(data: Any) -> list[Row]:
    """The lines of an answer's `data`, as dicts from column name to value."""
    if isinstance(data, list):
        return [line for row in data for line in (_row_lines(row) if isinstance(row, Mapping) else [{"value": row}])]
    if not isinstance(data, Mapping):
        return [{"value": data}]
    if {"rows", "cols", "cells"} <= data.keys():
        row_field, col_field = data.get("row_field", "row"), data.get("col_field", "col")
        return [
            {row_field: row, col_field: col, "count": count}
            for row, cells in zip(data["rows"], data["cells"], strict=True)
            for col, count in zip(data["cols"], cells, strict=True)
        ]
    if {"bins", "series"} <= data.keys():
        name, metric = data.get("groupby") or "series", data.get("metric") or "value"
        return [{"bin": start, name: s["name"], metric: value} for s in data["series"] for start, value in zip(data["bins"], s["values"], strict=True)]
    if data and all(_is_rows(v) for v in data.values()):
        return [{"group": group} | line for group, rows in data.items() for line in flat_rows(rows)]
    if data and all(isinstance(v, Mapping) for v in data.values()):
        return [{"key": key} | _flat(value) for key, value in data.items()]
    return _row_lines(data)


def render_rows(rows: Iterable[Row]) -> bytes:
    lines = list(rows)
    columns: dict[str, None] = {}
    for line in lines:
        columns.update(dict.fromkeys(line))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if columns:
        writer.writerow(columns)
        writer.writerows([_cell(line.get(column)) for column in columns] for line in lines)
    return buffer.getvalue().encode()


def render_answer(answer: Mapping[str, Any]) -> bytes:
    """An envelope ({data, meta}) as CSV: the lines of its data."""
    return render_rows(flat_rows(answer.get("data")))


def filename(endpoint: str) -> str:
    return endpoint.replace(".", "-") + ".csv"


class CsvRenderer(BaseRenderer):
    """`?format=csv` (or Accept: text/csv). The cached answers are rendered by the caching
    layer (pandjango.caching.answers); this renders the others, and keeps errors JSON."""

    media_type = MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and (response.status_code >= 400 or not isinstance(data, Mapping) or "data" not in data):
            response["Content-Type"] = "application/json"
            return output.dumps(data)
        endpoint = getattr((renderer_context or {}).get("view"), "endpoint", "")
        if response is not None and endpoint:
            response["Content-Disposition"] = f'attachment; filename="{filename(endpoint)}"'
        # No rows: an empty line, since DRF drops the Content-Type of an empty body.
        return render_answer(data) or b"\r\n"


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's choice of renderer, with an unknown `format=` a 400 naming it (DRF's own is a 404)."""

    def select_renderer(self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        if request.query_params.get("format") == "":
            self.filter_renderers(renderers, "")
        return super().select_renderer(request, renderers, format_suffix)  # type: ignore[no-any-return]

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[BaseRenderer]:
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            known = ", ".join(str(renderer.format) for renderer in renderers)
            raise errors.bad_request(f"format must be one of {known}", format=f"must be one of {known}")
        return chosen
