"""The raw SQL templates: rendering a registered query's text for a vendor and its binds.

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

import re
from collections.abc import Mapping
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from pandjango.pandadb.jobs import kept_before, window_column
from pandjango.pandadb.schema import JOB_TABLE_NAMES
from pandjango.pandadb.tables import TABLE_SCHEMA, qualified_name
from pandjango.rawsql.definition import LIST_KINDS, SHAPE_KINDS, RawQuery, _absent

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
