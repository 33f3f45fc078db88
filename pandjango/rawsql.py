"""The registry of raw SQL queries: the heavy reads that bypass the ORM.

Each entry is a named query with its text per database vendor (Oracle with optimizer hints
and :name binds, MySQL/MariaDB, PostgreSQL, SQLite). A section's queries.py imports its
`sql.py`, where it registers its queries, and runs them where a request's filters allow
(job_params, in_list_params); `manage.py rawsql list|show|explain` and `/api/meta/queries/`
list them, so a DBA can see every statement the monitor sends, each opening with
/* pandjango:<name> */.

Values are always bound. What varies from one call to another in the text itself is only
its *shape*, and the shape is made of things the caller cannot spell: table names come from
the config (tables.qualified_name), columns from a fixed whitelist, and the bind names of
an IN list are generated (:jobstatus_0, :jobstatus_1, ...). Rendering never sees a value.

A template is the vendor's SQL with these additions:
  {JOBSACTIVE4}          a PanDA table, schema-qualified and quoted for the vendor
  {groupby} {groupby:j}  a column parameter: its whitelisted column(s), optionally j.-prefixed
  :name                  a bind; a list parameter's :name becomes :name_0, :name_1, ...
  [[ ... ]]              kept only when every parameter named inside is given (not empty)
  {{union tables}} ... {{end}}
                         repeated once per job table of the `tables` parameter, joined by
                         UNION ALL; inside, {table} is that table, {time} the column its
                         window is on (pandadb.jobs.window_column), {hint} the hint
                         chosen for it (an index the schema defines): the query's `hint`,
                         or its `hints` entry for the vendor where it has one, and {unique}
                         the conditions that leave out the jobs a table read before it holds
                         (pandadb.jobs.kept_before: each PandaID is counted once)
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils import timezone
from rest_framework.request import Request

from pandjango import api
from pandjango.endpoints import rows_of
from pandjango.jobfilters import JOBTYPES
from pandjango.meta import MetaView
from pandjango.pandadb.jobs import ALL_TABLES, Window, kept_before, tables_for, window_column
from pandjango.pandadb.models import as_utc
from pandjango.pandadb.router import PANDA_ALIAS
from pandjango.pandadb.schema import JOB_TABLE_NAMES, MODEL_OF_TABLE, constraints_of, schema_indexes
from pandjango.pandadb.tables import TABLE_SCHEMA, qualified_name
from pandjango.sections import SECTIONS

log = logging.getLogger("pandjango.rawsql")

VENDORS = ("oracle", "mysql", "postgresql", "sqlite")

# Parameter kinds. Bound: the value goes to the driver. Shape: the value picks text from a
# whitelist (columns, job tables) and is never bound.
LIST_KINDS = ("str list", "int list")
BOUND_KINDS = ("datetime", "int", "str", "choice", *LIST_KINDS)
SHAPE_KINDS = ("column", "columns", "tables")
KINDS = (*BOUND_KINDS, *SHAPE_KINDS)
# Oracle takes at most 1000 expressions in an IN list (ORA-01795).
MAX_LIST_ITEMS = 1000


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    help: str
    required: bool = False
    # column/columns: the allowed columns (name -> column); choice: name -> bound value;
    # tables: job table short name -> table.
    choices: Mapping[str, Any] = field(default_factory=dict)
    example: Any = None  # what `rawsql show` and `explain` use; a callable gets the values so far
    default: Any = None  # used when the caller gives nothing; a callable gets the values so far
    narrow: Any = None  # a callable (value, values so far) -> value, applied to what is given or defaulted

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: kind must be one of {', '.join(KINDS)}")
        if self.kind in (*SHAPE_KINDS, "choice") and not self.choices:
            raise ValueError(f"parameter {self.name}: a {self.kind} parameter needs its choices")

    def check(self, value: Any) -> Any:
        """The value, validated and normalised (lists as lists); ValueError when wrong."""
        if self.kind in (*LIST_KINDS, "columns", "tables"):
            items = [value] if isinstance(value, (str, int)) else list(value)
            if len(items) > MAX_LIST_ITEMS:
                raise ValueError(f"{self.name}: {len(items)} values, more than {MAX_LIST_ITEMS}")
            return [self._item(v) for v in items]
        return self._item(value)

    def _item(self, value: Any) -> Any:
        kind = self.kind
        if kind in ("int", "int list") and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{self.name}: {value!r} is not an integer")
        if kind in ("str", "str list") and not isinstance(value, str):
            raise ValueError(f"{self.name}: {value!r} is not a string")
        if kind == "datetime" and not (isinstance(value, datetime) and timezone.is_aware(value)):
            raise ValueError(f"{self.name}: {value!r} is not an aware datetime")
        if kind in ("choice", *SHAPE_KINDS) and value not in self.choices:
            raise ValueError(f"{self.name}: {value!r} is not one of {', '.join(self.choices)}")
        return value

    def parse(self, raw: str) -> Any:
        """A value from the command line: ISO times, integers, comma-separated lists."""
        if self.kind == "datetime":
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if self.kind == "int":
            return int(raw)
        if self.kind == "int list":
            return [int(v) for v in raw.split(",") if v]
        if self.kind in ("str list", "columns", "tables"):
            return [v for v in raw.split(",") if v]
        return raw

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind,
            "required": self.required,
            "help": self.help,
            "choices": list(self.choices) if self.choices else None,
        }


Hint = Callable[[str, Mapping[str, Any]], str]
Finish = Callable[[list[dict[str, Any]], Mapping[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class RawQuery:
    name: str  # "<section>.<what>"
    section: str
    purpose: str  # one line
    params: tuple[Param, ...]
    texts: Mapping[str, str]  # vendor -> template
    returns: str  # the keys of each row, for the listing and the sections
    hint: Hint | None = None  # (job table, shape) -> Oracle hint, for {hint} in a union
    hints: Mapping[str, Hint] = field(default_factory=dict)  # vendor -> its {hint}, in place of `hint`
    finish: Finish | None = None  # rows -> rows (decoding, ordering), same shape as the ORM's

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def prepare(self, given: Mapping[str, Any], examples: bool = False) -> dict[str, Any]:
        """Validated values of every parameter, defaults applied (None: not given)."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(f"{self.name}: unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for p in self.params:
            value = given.get(p.name)
            for fallback in (p.example if examples else None, p.default):
                if _absent(value) and fallback is not None:
                    value = fallback(values) if callable(fallback) else fallback
            if _absent(value):
                if p.required:
                    raise TypeError(f"{self.name}: parameter {p.name} is required")
                values[p.name] = None
            else:
                values[p.name] = p.check(value)
                if p.narrow is not None:
                    values[p.name] = p.narrow(values[p.name], values)
        return values

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "section": self.section,
            "purpose": self.purpose,
            "params": [p.describe() for p in self.params],
            "returns": self.returns,
            "vendors": [v for v in VENDORS if v in self.texts],
        }


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple, set, frozenset)) and not value)


# ---------------------------------------------------------------------------- the registry

REGISTRY: dict[str, RawQuery] = {}
_discovered = False


def register(query: RawQuery) -> RawQuery:
    """Adds a query; its templates are rendered once per vendor here, so a broken template
    stops start-up instead of a request."""
    if query.name in REGISTRY and REGISTRY[query.name] is not query:
        raise ValueError(f"raw query {query.name} is registered twice")
    if query.section not in SECTIONS or not query.name.startswith(query.section + "."):
        raise ValueError(f"raw query {query.name}: its name must start with its section ({', '.join(SECTIONS)})")
    missing = [v for v in VENDORS if v not in query.texts]
    if missing:
        raise ValueError(f"raw query {query.name} has no text for {', '.join(missing)}")
    names = {p.name for p in query.params}
    for p in query.params:
        if p.kind in LIST_KINDS and any(re.fullmatch(rf"{p.name}_\d+", other) for other in names):
            raise ValueError(f"raw query {query.name}: parameter names clash with the binds of {p.name}")
    for vendor in VENDORS:
        render_text(query, vendor, query.prepare({}, examples=True))
    REGISTRY[query.name] = query
    return query


def _discover() -> None:
    """Imports every section's sql.py, where sections register their queries."""
    global _discovered
    if _discovered:
        return
    for section in SECTIONS:
        module = f"sections.{section}.sql"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _discovered = True


def get(name: str) -> RawQuery:
    _discover()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no raw query named {name!r}; `manage.py rawsql list` lists them") from None


def all_queries() -> list[RawQuery]:
    _discover()
    return sorted(REGISTRY.values(), key=lambda q: q.name)


# ---------------------------------------------------------------------------- rendering

_UNION = re.compile(r"\{\{union (\w+)\}\}(.*?)\{\{end\}\}", re.S)
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)
_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")
# String literals, quoted names and comments are skipped; `::` is a PostgreSQL cast.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"[^"]*"|`[^`]*`|--[^\n]*|/\*.*?\*/|::|:([A-Za-z_]\w*)|%""", re.S)


def bind_names(text: str) -> list[str]:
    """The :name binds of a text, in order, outside literals and comments."""
    return [m.group(1) for m in _TOKENS.finditer(text) if m.group(1)]


def shape_of(query: RawQuery, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the text depends on: list lengths, whitelisted choices, whether a value is
    given. Never a bound value."""
    shape: dict[str, Any] = {}
    for p in query.params:
        value = values.get(p.name)
        if p.kind in LIST_KINDS:
            shape[p.name] = len(value) if value else 0
        elif p.kind in ("columns", "tables"):
            shape[p.name] = tuple(dict.fromkeys(value or ()))
        elif p.kind == "column":
            shape[p.name] = value
        else:
            shape[p.name] = value is not None
    return shape


def _given(shape: Mapping[str, Any], name: str) -> bool:
    value = shape.get(name)
    return bool(value) if not isinstance(value, bool) else value


def render_text(query: RawQuery, vendor: str, values: Mapping[str, Any]) -> str:
    return _render(query, vendor, shape_of(query, values))


def render(name: str, vendor: str, **params: Any) -> str:
    """The exact text sent for these parameters (the examples fill in what is not given)."""
    query = get(name)
    return render_text(query, vendor, query.prepare(params, examples=True))


def _render(query: RawQuery, vendor: str, shape: Mapping[str, Any]) -> str:
    template = query.texts[vendor]
    columns = {p.name: p for p in query.params if p.kind in ("column", "columns")}

    def union(match: re.Match[str]) -> str:
        tables = shape.get(match.group(1)) or ()
        if not tables:
            raise ValueError(f"{query.name}: no job table to read")
        if "{unique}" not in match.group(2):
            raise ValueError(f"{query.name}: a union over the job tables must say {{unique}}: each PandaID counts once")
        branches = []
        for key in tables:
            table = JOB_TABLE_NAMES[key]
            hint_for = query.hints.get(vendor, query.hint)
            hint = hint_for(table, shape) if hint_for else ""
            unique = "".join(
                f"\n    AND NOT EXISTS (SELECT 1 FROM {qualified_name(JOB_TABLE_NAMES[other], vendor)} later WHERE later.pandaid = j.pandaid)"
                for other in kept_before(key, tables)
            )
            branch = match.group(2).replace("{table}", qualified_name(table, vendor)).replace("{time}", window_column(key))
            branch = branch.replace("/*+ {hint} */ ", "/*+ {hint} */ " if hint else "").replace("{hint}", hint)
            branches.append(branch.replace("{unique}", unique))
        return "UNION ALL".join(branches)

    def optional(match: re.Match[str]) -> str:
        body = match.group(1)
        named = bind_names(body) + [m.group(1) for m in _SLOT.finditer(body)]
        return body if all(_given(shape, n) for n in named if n in shape) else ""

    def slot(match: re.Match[str]) -> str:
        name, alias = match.group(1), match.group(2)
        if name in TABLE_SCHEMA:
            return qualified_name(name, vendor)
        if name in columns:
            chosen = shape[name]
            chosen = [chosen] if isinstance(chosen, str) else list(chosen or ())
            if not chosen:
                raise ValueError(f"{query.name}: {name} is required here")
            return ", ".join(f"{alias}.{columns[name].choices[c]}" if alias else str(columns[name].choices[c]) for c in chosen)
        raise ValueError(f"{query.name}: unknown slot {{{name}}} in the {vendor} text")

    text = _UNION.sub(union, template)
    text = _OPTIONAL.sub(optional, text)
    text = _SLOT.sub(slot, text)
    text = _expand_lists(query, vendor, text, shape)
    # The name rides along in a comment: a DBA sees which entry a running statement is.
    return "\n".join([marker(query.name), *(line.rstrip() for line in text.splitlines() if line.strip())])


def marker(name: str) -> str:
    """The comment that opens every text the registry sends."""
    return f"/* pandjango:{name} */"


def _expand_lists(query: RawQuery, vendor: str, text: str, shape: Mapping[str, Any]) -> str:
    kinds = {p.name: p.kind for p in query.params}

    def bind(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name:
            return match.group(0)
        if name not in kinds:
            raise ValueError(f"{query.name}: the {vendor} text binds :{name}, which is not a parameter")
        if kinds[name] in SHAPE_KINDS:
            raise ValueError(f"{query.name}: :{name} is a {kinds[name]} parameter, which is never bound")
        if kinds[name] in LIST_KINDS:
            return ", ".join(f":{name}_{i}" for i in range(shape[name]))
        return match.group(0)

    return _TOKENS.sub(bind, text)


def to_pyformat(text: str) -> str:
    """:name -> %(name)s, and a literal % doubled: what Django's cursors take (its Oracle
    backend turns %(name)s back into :name, so Oracle sees the text as rendered)."""

    def swap(match: re.Match[str]) -> str:
        return f"%({match.group(1)})s" if match.group(1) else match.group(0).replace("%", "%%")

    return _TOKENS.sub(swap, text)


def binds(query: RawQuery, values: Mapping[str, Any], text: str, connection: BaseDatabaseWrapper | None = None) -> dict[str, Any]:
    """The bind values of a rendered text, by bind name (times adapted as the ORM adapts
    them for `connection`)."""
    out: dict[str, Any] = {}
    for p in query.params:
        value = values.get(p.name)
        if value is None or _absent(value) or p.kind in SHAPE_KINDS:
            continue
        if p.kind in LIST_KINDS:
            out.update({f"{p.name}_{i}": item for i, item in enumerate(value)})
        elif p.kind == "choice":
            out[p.name] = p.choices[value]
        elif p.kind == "datetime":
            # As the ORM binds it, so that both compare alike.
            out[p.name] = connection.ops.adapt_datetimefield_value(value) if connection else value
        else:
            out[p.name] = value
    used = set(bind_names(text))
    return {k: v for k, v in out.items() if k in used}


# ---------------------------------------------------------------------------- running


def run(name: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of the query as plain dicts (lower-case keys), in the shape the ORM path gives.
    A query that runs past limits.statement_timeout_ms becomes ApiError 503."""
    query = get(name)
    values = query.prepare(params)
    if any(p.kind == "tables" and not values[p.name] for p in query.params):
        return []  # no job table in scope: nothing to read
    connection = connections[PANDA_ALIAS]
    if connection.vendor == "mysql" and "mysql" in query.hints:
        read_mysql_indexes(connection)
    text = render_text(query, connection.vendor, values)
    started = time.monotonic()
    try:
        with connection.cursor() as cursor, statement_time_limit(connection):
            cursor.execute(to_pyformat(text), binds(query, values, text, connection))
            names = [d[0].lower() for d in cursor.description]
            rows = [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]
    except DatabaseError as exc:
        error = api.database_error(exc)
        if error is None:
            raise
        log.warning("raw query %s stopped after %.1f s: %s", name, time.monotonic() - started, exc)
        raise error from exc
    return query.finish(rows, values) if query.finish else rows


def _plain(value: Any) -> Any:
    # MariaDB and PostgreSQL sum integers into decimals, Oracle NUMBER may come back so too.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return as_utc(value)  # PanDA's times are UTC in columns without a zone


def statement_timeout_ms() -> int:
    return int(settings.PANDJANGO["limits"]["statement_timeout_ms"])


@contextmanager
def statement_time_limit(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """MariaDB and PostgreSQL sessions carry their statement timeout from the settings;
    Oracle gets call_timeout (see set_oracle_call_timeout), SQLite an interrupt."""
    if connection.vendor == "sqlite":
        deadline = time.monotonic() + statement_timeout_ms() / 1000
        raw = connection.connection
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
        return
    if connection.vendor == "oracle":
        connection.connection.call_timeout = statement_timeout_ms()
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # A cancelled statement aborts PostgreSQL's whole transaction: inside one, a savepoint
        # keeps the connection usable for the queries that follow. It is set on the driver's
        # connection: bookkeeping, not one of the request's queries.
        raw = connection.connection
        raw.execute("SAVEPOINT pandjango_statement")
        try:
            yield
        except BaseException:
            raw.execute("ROLLBACK TO SAVEPOINT pandjango_statement")
            raise
        raw.execute("RELEASE SAVEPOINT pandjango_statement")
        return
    yield


def set_oracle_call_timeout(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Every new Oracle connection to the PanDA database gets call_timeout (milliseconds,
    python-oracledb): a call running past it fails with DPY-4024 (ORA-03156 in thick
    mode), which the API answers with 503. Covers the ORM's queries as well as run()."""
    if connection.vendor == "oracle" and connection.alias == PANDA_ALIAS:
        connection.connection.call_timeout = statement_timeout_ms()


connection_created.connect(set_oracle_call_timeout, dispatch_uid="pandjango.rawsql.oracle_call_timeout")


# ---------------------------------------------------------------------------- EXPLAIN


def explain(name: str, **params: Any) -> list[dict[str, Any]]:
    """The plan of the query on the configured panda database, one dict per plan row
    (MariaDB: EXPLAIN's columns; PostgreSQL and Oracle: one line of text each)."""
    query = get(name)
    values = query.prepare(params, examples=True)
    connection = connections[PANDA_ALIAS]
    vendor = connection.vendor
    text = render_text(query, vendor, values)
    prefix = {"sqlite": "EXPLAIN QUERY PLAN ", "oracle": "EXPLAIN PLAN FOR "}.get(vendor, "EXPLAIN ")
    with connection.cursor() as cursor:
        cursor.execute(prefix + to_pyformat(text), binds(query, values, text, connection))
        if vendor == "oracle":
            cursor.execute("SELECT plan_table_output FROM TABLE(DBMS_XPLAN.DISPLAY())")
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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


def job_index_hint(table: str, alias: str, columns: set[str], filtered: set[str]) -> str:
    """The Oracle hint for reading `columns` of a job table in a window on its window column
    (MODIFICATIONTIME; STATECHANGETIME in the archive), among the indexes the DDL defines
    (PANDA-SCHEMA.md): the task index when jobs of given tasks are wanted; else an index
    holding every column needed (the table itself is not read); else the one on the window
    column; else a full scan (JOBSDEFINED4 and JOBSWAITING4 are small and have no time index)."""
    indexes = schema_indexes().get(table, [])
    short = next(key for key, name in JOB_TABLE_NAMES.items() if name == table)
    time_column = window_column(short)
    needed = columns | {time_column}
    if "jeditaskid" in filtered:
        for name, cols in indexes:
            if cols[0] == "jeditaskid":
                return f"INDEX({alias} {name})"
    for name, cols in indexes:
        if needed <= set(cols):
            return f"INDEX({alias} {name})"
    for name, cols in indexes:
        if cols[0] == time_column:
            return f"INDEX({alias} {name})"
    return f"FULL({alias})"


# The index names each job table really has on the configured MySQL/MariaDB PanDA database,
# read once per process before the first raw query runs there: MySQL fails a statement whose
# USE INDEX names a missing index (error 1176), so such a hint is left out. None: not read
# (the texts shown by `rawsql show` keep every hint).
_mysql_indexes: dict[str, set[str]] | None = None


def read_mysql_indexes(connection: BaseDatabaseWrapper) -> None:
    global _mysql_indexes
    if _mysql_indexes is not None:
        return
    _mysql_indexes = {table: {name.upper() for name in constraints_of(MODEL_OF_TABLE[table])} for table in JOB_TABLE_NAMES.values()}


def forget_mysql_indexes() -> None:
    global _mysql_indexes
    _mysql_indexes = None


def mysql_index_hint(oracle_hint: Hint) -> Hint:
    """The MySQL form of an Oracle index hint, for the same table and shape: INDEX(j NAME)
    -> USE INDEX (NAME) where the table has that index; nothing for FULL(j) or a missing one."""

    def mysql(table: str, shape: Mapping[str, Any]) -> str:
        found = re.fullmatch(r"INDEX\(\w+ (\w+)\)", oracle_hint(table, shape))
        if not found:
            return ""
        if _mysql_indexes is not None and found.group(1).upper() not in _mysql_indexes.get(table, set()):
            return ""
        return f"USE INDEX ({found.group(1)})"

    return mysql


def job_hint(columns: Sequence[str], shape_columns: Sequence[str], filters: Sequence[str], alias: str = "j") -> Hint:
    """A Hint for a union over the job tables: fixed `columns`, the columns chosen by the
    shape parameters `shape_columns`, and the filters given."""

    def hint(table: str, shape: Mapping[str, Any]) -> str:
        used = set(columns)
        for name in shape_columns:
            chosen = shape.get(name)
            used |= {chosen} if isinstance(chosen, str) else set(chosen or ())
        given = {f for f in filters if shape.get(f) or shape.get(f + "_not")}
        return job_index_hint(table, alias, used | given, given)

    return hint


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


# ---------------------------------------------------------------------------- from a request
# The query functions of the sections try the registry first and keep their ORM path for
# what it cannot say. Both give the same rows (tests/pandjango/test_rawsql_results.py).

# False: every query function takes its ORM path (the tests compare the two).
USE_REGISTRY = True


def in_list_params(filters: Mapping[str, str], accepted: Mapping[str, str]) -> dict[str, list[Any]] | None:
    """A request's filters (parameter -> its validated value: a, a|b, !a|b) as the IN-list
    parameters of in_filters(): <column> and <column>_not, for the columns `accepted`
    (column -> "str list" or "int list"). jobtype stands for its prodsourcelabels. None when
    some filter has no such form (a wildcard, a column the query does not take) or when no
    value can pass (the ORM path answers those), or when the registry is switched off."""
    if not USE_REGISTRY:
        return None
    wanted: dict[str, list[Any]] = {}
    unwanted: dict[str, list[Any]] = {}
    for name, raw in filters.items():
        if not raw:
            continue  # given empty: no filter, as the filterset reads it
        column = "prodsourcelabel" if name == "jobtype" else name
        negate = raw.startswith("!")
        parts = (raw[1:] if negate else raw).split("|")
        if column not in accepted or any("*" in p for p in parts):
            return None
        if name == "jobtype":
            values: list[Any] = [label for p in parts for label in JOBTYPES[p]]
        else:
            values = [int(p) for p in parts] if accepted[column] == "int list" else parts
        if negate:
            unwanted[column] = [*unwanted.get(column, []), *values]
        else:  # two positive filters on one column (jobtype and prodsourcelabel): both hold
            wanted[column] = [v for v in values if v in wanted[column]] if column in wanted else values
    params: dict[str, list[Any]] = {}
    for column in accepted:
        if column in wanted:
            params[column] = list(dict.fromkeys(v for v in wanted[column] if v not in unwanted.get(column, ())))
            if not params[column]:
                return None
        elif column in unwanted:
            params[f"{column}_not"] = list(dict.fromkeys(unwanted[column]))
    if any(len(values) > MAX_LIST_ITEMS for values in params.values()):
        return None
    return params


def job_params(query: api.Query, accepted: Mapping[str, str] = JOB_FILTERS) -> dict[str, Any] | None:
    """The window and the job filters of a request as a job query's parameters (date_from,
    date_to and in_list_params()), or None when the ORM path must answer it."""
    if query.window is None:
        return None
    filters = in_list_params(query.filters, accepted)
    if filters is None:
        return None
    return {"date_from": query.window.start, "date_to": query.window.end, **filters}


def narrowed(params: Mapping[str, Any], column: str, values: Sequence[Any]) -> dict[str, Any] | None:
    """`params` with `column` also limited to `values`, as when the ORM path adds
    filter(<column>__in=values) to the request's filters (jobs_failed: jobstatus failed).
    None when no value passes both."""
    passing = [
        v for v in values
        if (column not in params or v in params[column]) and v not in params.get(f"{column}_not", ())
    ]
    if not passing:
        return None
    out = {k: v for k, v in params.items() if k not in (column, f"{column}_not")}
    out[column] = passing
    return out


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


def by_bucket(param: str) -> Finish:
    """Time bins in order, then by the value of the column a shape parameter chose."""

    def order(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        column = values.get(param)
        return sorted(rows, key=lambda r: (r["bucket"], column is not None and r[column] is None, "" if not column or r[column] is None else r[column]))

    return order


# ---------------------------------------------------------------------------- /api/meta/queries/


class Queries(MetaView):
    """The registry, for staff: every raw query with its parameters and vendors; with
    vendor=oracle (or another), each query's text as rendered with its example parameters."""

    endpoint = "meta.queries"
    path_template = "/api/meta/queries/"
    summary = "The raw SQL registry: each heavy query's name, section, purpose, parameters and vendors (staff only)"
    staff_only = True
    spec = api.QuerySpec(
        extra={"vendor": forms.ChoiceField(choices=[("", ""), *((v, v) for v in VENDORS)], required=False)},
        extra_help={"vendor": f"one of {', '.join(VENDORS)}: include each query's text for it, with the example parameters"},
    )
    data_schema = rows_of({
        "name": {"type": "string"},
        "section": {"type": "string"},
        "purpose": {"type": "string"},
        "params": rows_of({
            "name": {"type": "string"},
            "type": {"type": "string", "enum": list(KINDS)},
            "required": {"type": "boolean"},
            "help": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "string"}, "nullable": True},
        }),
        "returns": {"type": "string"},
        "vendors": {"type": "array", "items": {"type": "string", "enum": list(VENDORS)}},
        "text": {"type": "string", "description": "with vendor= only"},
    })

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        vendor = query.extra["vendor"]
        data = []
        for raw in all_queries():
            entry = raw.describe()
            if vendor:
                entry["text"] = render_text(raw, vendor, raw.prepare({}, examples=True))
            data.append(entry)
        return api.envelope(data, count=len(data))
