"""Each request's time budget for all of its queries on the PanDA database together
(limits.request_seconds).

A statement timeout bounds one statement; a facets request of many fields sends dozens, and
their sum would run into gunicorn's worker timeout. QueryBudgetMiddleware gives every request
a deadline and installs, on the PanDA connection, an execute wrapper that the ORM's queries
and the raw SQL registry's alike go through. Before each statement it checks what is left:
nothing left is QueryBudgetSpent (a DatabaseError, answered as every timed-out query is: a
503 query_timeout with Retry-After, pandjango.api.errors.database_error); less left than the
statement timeout (sessions are opened with at most the budget, settings.py) shrinks that
statement's timeout to what is left:
  MariaDB     SET STATEMENT max_statement_time=<s> FOR <the statement>
  PostgreSQL  the session's statement_timeout, restored when the request ends
  Oracle      the connection's call_timeout, restored when the request ends
  SQLite      a progress handler that interrupts at the earlier of the request's deadline
              and the statement's (SQLite has no statement timeout of its own)
A statement may end past the deadline by a twentieth of the budget at most (1 s of 20), so
that a request of quick statements is not slowed by setting timeouts. A cached answer sends
no statement, so it spends nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

from pandjango.pandadb.router import PANDA_ALIAS
from pandjango.pandadb.sessions import POSTGRESQL_SET_TIMEOUT

log = logging.getLogger("pandjango.api.budget")

# How often SQLite calls the progress handler, in virtual machine instructions.
SQLITE_CHECK_EVERY = 10000
# Statements MariaDB takes SET STATEMENT ... FOR before (reads; not SAVEPOINT and the like).
_READS = ("SELECT", "WITH", "/*", "(")


class QueryBudgetSpent(DatabaseError):
    """The request's queries used up limits.request_seconds: no further statement is sent."""


class QueryBudget:
    """One request's deadline, and the execute wrapper that keeps its statements within it."""

    def __init__(self, seconds: float, statement_seconds: float) -> None:
        self.seconds = seconds
        self.statement_seconds = min(statement_seconds, seconds)
        self.slack = seconds / 20
        self.deadline = time.monotonic() + seconds
        # The last statement ran with a timeout cut to the budget's rest: a timeout it meets
        # is the budget's.
        self.cut = False
        self._statement_deadline = math.inf  # SQLite: the running statement's own limit
        self._session_seconds: float | None = None  # PostgreSQL, Oracle: the timeout this request set
        self._session_before: Any = None  # and the one it had before, given back at the end

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def stopped(self) -> bool:
        """Whether a timeout met now is the budget's rather than one statement's."""
        return self.cut or self.remaining() <= self.slack

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        remaining = self.remaining()
        if remaining <= 0:
            self.cut = True
            raise QueryBudgetSpent(f"the request's queries used up limits.request_seconds ({self.seconds:g} s)")
        connection: BaseDatabaseWrapper = context["connection"]
        self.cut = remaining + self.slack < self.statement_seconds
        vendor = connection.vendor
        if vendor == "sqlite":
            self._interrupt_sqlite(connection)
        elif self.cut and vendor == "mysql":
            sql = self._mariadb_statement(connection, sql, remaining)
        elif self.cut and vendor == "postgresql":
            self._shrink_session(context["cursor"].cursor, remaining)
        elif self.cut and vendor == "oracle":
            if self._session_before is None:
                self._session_before = connection.connection.call_timeout
            connection.connection.call_timeout = _milliseconds(remaining)
            self._session_seconds = remaining
        try:
            return execute(sql, params, many, context)
        except DatabaseError:
            self._session_seconds = None  # a rollback may have undone it: set it again next time
            raise

    def _interrupt_sqlite(self, connection: BaseDatabaseWrapper) -> None:
        # Set again for every statement: the raw SQL registry's own limit replaces it while
        # it runs (rawsql.statement_time_limit).
        self._statement_deadline = time.monotonic() + self.statement_seconds
        connection.connection.set_progress_handler(self._sqlite_past_deadline, SQLITE_CHECK_EVERY)

    def _sqlite_past_deadline(self) -> int:
        return int(time.monotonic() > min(self.deadline, self._statement_deadline))

    def _mariadb_statement(self, connection: Any, sql: str, remaining: float) -> str:
        # Asked of the driver: Django's mysql_is_mariadb may send a query of its own, through here.
        mariadb = "mariadb" in connection.connection.get_server_info().lower()
        if not mariadb or not sql.lstrip().upper().startswith(_READS):
            return sql
        return f"SET STATEMENT max_statement_time={max(remaining, 0.001):.3f} FOR {sql}"

    def _shrink_session(self, cursor: Any, remaining: float) -> None:
        """Sets the session's timeout to what is left, unless a value set for an earlier
        statement of this request is within a twentieth of the budget of it (a round trip
        saved for most statements, at that much past the deadline at worst)."""
        if self._session_seconds is not None and self._session_seconds - remaining <= self.slack:
            return
        cursor.execute(POSTGRESQL_SET_TIMEOUT, [str(_milliseconds(remaining))])
        before = cursor.fetchone()[0]
        if self._session_before is None:
            self._session_before = before
        self._session_seconds = remaining

    def finish(self, connection: BaseDatabaseWrapper) -> None:
        """Gives the connection back as the settings made it, for the next request."""
        raw = connection.connection
        if raw is None:
            return
        try:
            if connection.vendor == "sqlite":
                raw.set_progress_handler(None, 0)
            elif self._session_before is not None and connection.vendor == "postgresql" and not _failed_transaction(raw):
                with raw.cursor() as cursor:
                    cursor.execute(POSTGRESQL_SET_TIMEOUT, [self._session_before])
            elif self._session_before is not None and connection.vendor == "oracle":
                raw.call_timeout = self._session_before
        except Exception as exc:  # a connection that cannot be reset is not used again
            log.warning("closing the PanDA connection, its statement timeout could not be restored: %s", exc)
            connection.close()


def _failed_transaction(raw: Any) -> bool:
    """PostgreSQL: a transaction that a cancelled statement aborted takes no statement, and
    its rollback undoes the timeout set inside it."""
    status = getattr(getattr(raw, "info", None), "transaction_status", None)
    return getattr(status, "name", "") == "INERROR"


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))  # 0 would mean no limit at all


_current: ContextVar[QueryBudget | None] = ContextVar("pandjango_query_budget", default=None)


def current() -> QueryBudget | None:
    """The budget of the request being answered, if any."""
    return _current.get()


@contextmanager
def query_budget(seconds: float | None = None) -> Iterator[QueryBudget]:
    """Holds the PanDA connection's statements to one budget (limits.request_seconds) while open."""
    limits = settings.PANDJANGO["limits"]
    budget = QueryBudget(limits["request_seconds"] if seconds is None else seconds, limits["statement_timeout_ms"] / 1000)
    connection = connections[PANDA_ALIAS]
    token = _current.set(budget)
    try:
        with connection.execute_wrapper(budget):
            yield budget
    finally:
        _current.reset(token)
        budget.finish(connection)


class QueryBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with query_budget():
            return self.get_response(request)
