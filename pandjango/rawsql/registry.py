"""The registry of raw SQL queries: the heavy reads that bypass the ORM.

Each entry is a named query with its text per database vendor (Oracle with optimizer hints
and :name binds, MySQL/MariaDB, PostgreSQL, SQLite). Each section registers its queries in
its `sql.py`, which Django's autodiscovery imports at start-up (pandjango.apps), and runs
them where a request's filters allow (rawsql.fromrequest); `manage.py rawsql list|show|explain` and `/api/meta/queries/`
list them, so a DBA can see every statement the monitor sends, each opening with
/* pandjango:<name> */."""

from __future__ import annotations

import re
from typing import Any

from pandjango.rawsql.definition import LIST_KINDS, VENDORS, RawQuery
from pandjango.rawsql.template import render_text
from pandjango.sections import SECTIONS

# ---------------------------------------------------------------------------- the registry

REGISTRY: dict[str, RawQuery] = {}


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


def get(name: str) -> RawQuery:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no raw query named {name!r}; `manage.py rawsql list` lists them") from None


def all_queries() -> list[RawQuery]:
    return sorted(REGISTRY.values(), key=lambda q: q.name)


def render(name: str, vendor: str, **params: Any) -> str:
    """The exact text sent for these parameters (the examples fill in what is not given)."""
    query = get(name)
    return render_text(query, vendor, query.prepare(params, examples=True))
