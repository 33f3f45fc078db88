"""Building blocks of the job-table queries the sections register: the window, IN-list filters,
the union of the job tables, row limits and the order of the rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from pandjango.pandadb.jobs import ALL_TABLES, Window, tables_for
from pandjango.pandadb.schema import JOB_TABLE_NAMES
from pandjango.rawsql.definition import VENDORS, Finish, Param

# ---------------------------------------------------------------------------- building blocks
# Shared by the sections' sql.py: the window, IN-list filters, the union of the job tables
# and the Oracle hint for each of them.

# The job filters the job-table queries take, as IN lists: the API's a|b and !a|b (a
# wildcard needs the ORM). Column -> parameter kind.
JOB_FILTERS: dict[str, str] = {
    "jobstatus": "str list",
    "computingsite": "str list",
    "cloud": "str list",
    "prodsourcelabel": "str list",
    "produsername": "str list",
    "processingtype": "str list",
    "jeditaskid": "int list",
}

_QUOTE = {"oracle": '"{}"', "postgresql": '"{}"', "sqlite": '"{}"', "mysql": "`{}`"}
UNION = "{{union tables}}"
END = "{{end}}"


def quoted(vendor: str, name: str) -> str:
    return _QUOTE[vendor].format(name)


def date_bind(vendor: str, name: str) -> str:
    """A bound time compared with a PanDA DATE column. On Oracle a bound TIMESTAMP would
    turn the column into INTERNAL_FUNCTION(column) and lose its index: cast the bind."""
    return f"CAST(:{name} AS DATE)" if vendor == "oracle" else f":{name}"


def in_range(vendor: str, column: str, start: str = "date_from", end: str | None = "date_to") -> str:
    text = f"{column} >= {date_bind(vendor, start)}"
    return text + (f" AND {column} < {date_bind(vendor, end)}" if end else "")


def in_filters(alias: str, columns: Sequence[str], indent: str) -> str:
    """Optional `col IN (...)` and `col NOT IN (...)` lines (the API's a|b and !a|b), one
    pair per column; parameters <col> and <col>_not. NOT IN keeps the nulls, as the ORM's
    exclude() does."""
    lines = []
    for c in columns:
        lines.append(f"{indent}[[AND {alias}.{c} IN (:{c})]]")
        lines.append(f"{indent}[[AND ({alias}.{c} NOT IN (:{c}_not) OR {alias}.{c} IS NULL)]]")
    return "\n".join(lines)


def filter_params(columns: Mapping[str, str], what: str = "jobs") -> tuple[Param, ...]:
    """The parameters of in_filters(): column -> "str list" or "int list"."""
    params = []
    for c, kind in columns.items():
        params.append(Param(c, kind, f"only {what} whose {c} is one of these"))
        params.append(Param(f"{c}_not", kind, f"only {what} whose {c} is none of these"))
    return tuple(params)


def _hours_ago(hours: int) -> Callable[[Mapping[str, Any]], datetime]:
    return lambda values: timezone.now().replace(microsecond=0) - timedelta(hours=hours)


def window_params(what: str = "modificationtime") -> tuple[Param, Param]:
    return (
        Param("date_from", "datetime", f"start of the window on {what} (inclusive)", required=True, example=_hours_ago(12)),
        Param("date_to", "datetime", f"end of the window on {what} (exclusive)", required=True, example=_hours_ago(0)),
    )


def tables_param(choices: Sequence[str] = ALL_TABLES) -> Param:
    """The job tables to read: of those given (default: all the choices), the ones the window
    reaches (pandadb.jobs.tables_for, as the ORM path reads them)."""

    def in_reach(tables: Sequence[str], values: Mapping[str, Any]) -> list[str]:
        return tables_for(Window(values["date_from"], values["date_to"]), tables)

    return Param(
        "tables", "tables", "job tables to read, of those the window reaches (default: all of them)",
        choices={t: JOB_TABLE_NAMES[t] for t in choices}, default=list(choices), narrow=in_reach,
    )


def columns_param(name: str, kind: str, choices: Sequence[str], help: str, required: bool = True, example: Any = None) -> Param:
    return Param(name, kind, help, required=required, choices={c: c for c in choices}, example=example)


def row_limit_param() -> Param:
    """max_rows: the groups with the largest counts, at most this many (see largest_first)."""
    return Param(
        "max_rows", "int", "at most this many rows, the largest counts first (a summary asks for limits.max_summary_rows + 1)",
        example=lambda values: int(settings.PANDJANGO["limits"]["max_summary_rows"]) + 1,
    )


def largest_first(vendor: str, order: str) -> str:
    """The optional end of a summary's text: its rows ordered by `order` (the count first)
    and at most :max_rows of them, so that a summary of many groups is cut in the database
    and never read whole."""
    limit = "FETCH FIRST :max_rows ROWS ONLY" if vendor == "oracle" else "LIMIT :max_rows"
    return f"\n[[ORDER BY {order}\n{limit}]]"


def job_counts_texts(
    groupby: Sequence[str], filters: Sequence[str], *, status: str | None = None, example: bool = False, ranked: bool = False
) -> dict[str, str]:
    """Jobs counted by the columns of the `groupby` column parameters over the union of the
    job tables in the window: one GROUP BY per table, summed. `status` fixes JOBSTATUS (a
    constant of the code); `example` adds the newest pandaid of each group; `ranked` takes
    the max_rows parameter (row_limit_param)."""

    def columns(alias: str) -> str:
        return ", ".join(f"{{{name}:{alias}}}" for name in groupby)

    texts = {}
    for vendor in VENDORS:
        inner_example = ", MAX(j.pandaid) AS example" if example else ""
        outer_example = ", MAX(s.example) AS example_pandaid" if example else ""
        status_line = f"\n    AND j.jobstatus = '{status}'" if status else ""
        hint = "/*+ {hint} */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT {columns("s")}, SUM(s.n) AS {quoted(vendor, "count")}{outer_example}
FROM (
{UNION}
  SELECT {hint}{columns("j")}, COUNT(*) AS n{inner_example}
  FROM {{table}} j
  WHERE {in_range(vendor, "j.{time}")}{status_line}
{in_filters("j", filters, "    ")}{{unique}}
  GROUP BY {columns("j")}
{END}
) s
GROUP BY {columns("s")}{largest_first(vendor, f"SUM(s.n) DESC, {columns('s')}") if ranked else ""}"""
    return texts


# ---------------------------------------------------------------------------- finishing rows


def by_count(keys: Sequence[str]) -> Finish:
    """Biggest count first, then by the group's values with nulls last: the ORM path's order."""

    def order(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        def key(row: dict[str, Any]) -> tuple[Any, ...]:
            return (-row["count"], *((row[k] is None, "" if row[k] is None else row[k]) for k in keys if k in row))

        return sorted(rows, key=key)

    return order


def by_count_of(*params: str) -> Finish:
    """by_count over the columns the shape parameters chose."""

    def order(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        keys: list[str] = []
        for param in params:
            chosen = values.get(param)
            keys += [chosen] if isinstance(chosen, str) else list(chosen or ())
        return by_count(keys)(rows, values)

    return order
