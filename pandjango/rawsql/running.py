"""Running a registered query on the PanDA database within the statement timeout, and its EXPLAIN."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from pandjango.api import errors
from pandjango.pandadb.models.fields import as_utc
from pandjango.pandadb.router import PANDA_ALIAS
from pandjango.rawsql.hints import read_mysql_indexes
from pandjango.rawsql.registry import get
from pandjango.rawsql.template import binds, render_text, to_pyformat

log = logging.getLogger("pandjango.rawsql")


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
        error = errors.database_error(exc)
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
