"""The time bins of the stats section's raw queries: jobs and pilots counted per bin of a date column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pandjango.rawsql.definition import VENDORS, Finish, Param
from pandjango.rawsql.jobsql import END, UNION, in_filters, in_range, quoted

# ---------------------------------------------------------------------------- time bins

_EPOCH = {
    "oracle": "ROUND(({col} - DATE '1970-01-01') * 86400)",
    # TIMESTAMPDIFF reads the stored value as it is (UTC), whatever the session's time zone.
    "mysql": "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {col})",
    "postgresql": "FLOOR(EXTRACT(EPOCH FROM {col}))",
    "sqlite": "CAST(strftime('%s', {col}) AS INTEGER)",
}
_BUCKET = {
    "oracle": "FLOOR({epoch} / :bin_seconds) * :bin_seconds",
    "mysql": "({epoch} DIV :bin_seconds) * :bin_seconds",
    "postgresql": "FLOOR({epoch} / :bin_seconds) * :bin_seconds",
    "sqlite": "({epoch} / :bin_seconds) * :bin_seconds",
}
BIN_SECONDS = {"5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


def bucket(vendor: str, column: str) -> str:
    """The epoch seconds of the start of the :bin_seconds-long bin holding `column`. Used in
    a derived table and grouped on outside, so no GROUP BY repeats a bind."""
    return _BUCKET[vendor].format(epoch=_EPOCH[vendor].format(col=column))


def bin_param() -> Param:
    return Param("bin_seconds", "choice", "width of a time bin", required=True, choices=BIN_SECONDS, example="1h")


def job_timeseries_texts(time_param: str, groupby: str, filters: Sequence[str]) -> dict[str, str]:
    """Jobs counted per time bin of the `time_param` column (in the window; MODIFICATIONTIME,
    never before it, bounds the index range), optionally by a `groupby` column."""
    texts = {}
    for vendor in VENDORS:
        hint = "/*+ {hint} */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT s.bucket[[, {{{groupby}:s}}]], SUM(s.n) AS {quoted(vendor, "count")}
FROM (
{UNION}
  SELECT t.bucket[[, {{{groupby}:t}}]], COUNT(*) AS n
  FROM (
    SELECT {hint}{bucket(vendor, "{" + time_param + ":j}")} AS bucket[[, {{{groupby}:j}}]]
    FROM {{table}} j
    WHERE {in_range(vendor, "{" + time_param + ":j}")}
      AND {in_range(vendor, "j.{time}", end=None)}
{in_filters("j", filters, "      ")}{{unique}}
  ) t
  GROUP BY t.bucket[[, {{{groupby}:t}}]]
{END}
) s
GROUP BY s.bucket[[, {{{groupby}:s}}]]"""
    return texts


def by_bucket(param: str) -> Finish:
    """Time bins in order, then by the value of the column a shape parameter chose."""

    def order(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        column = values.get(param)
        return sorted(rows, key=lambda r: (r["bucket"], column is not None and r[column] is None, "" if not column or r[column] is None else r[column]))

    return order
