"""Database sessions without the API's statement timeout, for the management commands that
build or fill our tables, or read whole tables (`manage.py pandadb seed`, `createschema`,
`indexes`, `rollup`).

The PanDA connection's sessions are opened with a statement timeout (settings.py: the lower
of limits.statement_timeout_ms and limits.request_seconds; Oracle: call_timeout, from
pandjango.rawsql.running), so that no statement of a request outlives the request. A command
is no request: building the secondary indexes after seeding a million jobs, or a rollups
backfill, takes minutes and must not be stopped after 20 s. While `no_statement_timeout()` is
open, every session of this thread has no statement timeout, those open already and those
opened meanwhile (a command may close its connections and connect again); on leaving, the
sessions still open get back the timeout they had.
  MariaDB     SET SESSION max_statement_time = 0
  PostgreSQL  the session's statement_timeout set to 0
  Oracle      the connection's call_timeout set to 0
  SQLite      nothing: its only timeouts are the request's and the raw query's interrupts
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

log = logging.getLogger("pandjango.pandadb.sessions")

_MARIADB_READ = "SELECT @@SESSION.max_statement_time"
_MARIADB_SET = "SET SESSION max_statement_time = %s"
# PostgreSQL: the session's statement timeout set, the one it had returned (also used by the
# request budget, pandjango.api.budget, on a raw cursor).
POSTGRESQL_SET_TIMEOUT = "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, false)"


def session_timeout(connection: BaseDatabaseWrapper, value: Any) -> Any:
    """Sets the session's statement timeout (0: none; MariaDB: seconds, PostgreSQL and Oracle:
    milliseconds) and returns the one it had; None for a database without one."""
    vendor = connection.vendor
    if vendor == "oracle":
        raw = connection.connection
        before = raw.call_timeout
        raw.call_timeout = int(value)
        return before
    if vendor not in ("mysql", "postgresql"):
        return None
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(POSTGRESQL_SET_TIMEOUT, [str(value)])
            return cursor.fetchone()[0]
        cursor.execute(_MARIADB_READ)
        before = cursor.fetchone()[0]
        cursor.execute(_MARIADB_SET, [value])
        return before


@contextmanager
def no_statement_timeout() -> Iterator[None]:
    """While open, this thread's database sessions have no statement timeout."""
    thread = threading.get_ident()
    changed: dict[int, tuple[BaseDatabaseWrapper, Any]] = {}  # by the driver connection's id

    def lift(connection: BaseDatabaseWrapper) -> None:
        before = session_timeout(connection, 0)
        if before is not None:
            changed[id(connection.connection)] = (connection, before)

    def on_connect(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        if threading.get_ident() == thread:
            lift(connection)

    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            lift(connection)
    connection_created.connect(on_connect, weak=False, dispatch_uid=f"pandjango.pandadb.sessions.{thread}")
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid=f"pandjango.pandadb.sessions.{thread}")
        for raw_id, (connection, before) in changed.items():
            if connection.connection is not None and id(connection.connection) == raw_id:
                _restore(connection, before)


def _restore(connection: BaseDatabaseWrapper, before: Any) -> None:
    try:
        session_timeout(connection, before)
    except Exception as exc:  # a session that would keep no timeout is not used again
        log.warning("closing the %s connection, its statement timeout could not be restored: %s", connection.alias, exc)
        connection.close()
