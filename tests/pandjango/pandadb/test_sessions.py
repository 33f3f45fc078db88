"""The API's statement timeout holds inside requests, not in the commands that build and fill
our tables (`manage.py pandadb seed`, `createschema`, `indexes`, `rollup`): a statement
longer than the timeout runs to its end there (pandjango/pandadb/sessions.py).

The sessions are opened with the timeout by the settings; here it is tightened by hand to
limits.request_seconds = 1 s, as the settings would open them with it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.test import Client
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pandjango.pandadb import schema, sessions
from pandjango.rawsql import running
from pandjango.rollups import runner
from tests.pandjango.test_rawsql_timeouts import SESSION_TIMEOUT

LIMIT = 1  # limits.request_seconds, the sessions' timeout here
SLOW = LIMIT + 0.5  # a statement's seconds, past it
# vendor: a statement of SLOW seconds (SQLite, which has no session timeout: a short count).
SLOW_SQL = {
    "mysql": f"SELECT SLEEP({SLOW})",
    "postgresql": f"SELECT pg_sleep({SLOW})",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT COUNT(*) FROM n",
}
TIGHT: dict[str, Any] = {"mysql": LIMIT, "postgresql": LIMIT * 1000}  # in the session's unit


def timeout_of(alias: str = "panda") -> float | None:
    """The session's statement timeout in seconds (0: none); None for SQLite, which has none."""
    connection = connections[alias]
    if connection.vendor not in SESSION_TIMEOUT:
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
            return int(cursor.fetchone()[0]) / 1000
        cursor.execute(SESSION_TIMEOUT["mysql"][0])
        return float(cursor.fetchone()[0])


def slow_statement() -> bool:
    """Runs the slow statement on the PanDA connection; whether it ran to its end."""
    connection = connections["panda"]
    try:
        # As the API runs a query: in a transaction, PostgreSQL's survives by a savepoint.
        with connection.cursor() as cursor, running.statement_time_limit(connection):
            started = time.monotonic()
            cursor.execute(SLOW_SQL[connection.vendor])
            (result,) = cursor.fetchone()
    except DatabaseError:
        return False
    if connection.vendor == "sqlite":
        return bool(result == 100000)
    return time.monotonic() - started >= SLOW * 0.95


@pytest.fixture
def one_second_sessions(vendor: str, pandjango_config: Callable[[str, Any], None]) -> Iterator[None]:
    pandjango_config("limits.request_seconds", LIMIT)
    before = sessions.session_timeout(connections["panda"], TIGHT.get(vendor, 0))
    yield
    sessions.session_timeout(connections["panda"], before)


class SessionProbe(APIView):
    def get(self, request: Request) -> Response:
        return Response({"timeout": timeout_of(), "ran": slow_statement()})


urlpatterns = [path("api/probe/session/", SessionProbe.as_view())]


def expected_timeout(vendor: str) -> float | None:
    return float(LIMIT) if vendor in SESSION_TIMEOUT else None


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("one_second_sessions")
def test_inside_a_request_the_session_timeout_stops_a_slow_statement(
    anon_client: Client, vendor: str, pandjango_config: Callable[[str, Any], None]
) -> None:
    # A budget far above the session's timeout: what stops the statement is the session's.
    pandjango_config("limits.request_seconds", LIMIT * 20)
    answer = anon_client.get("/api/probe/session/").json()
    assert answer["timeout"] == expected_timeout(vendor)
    assert answer["ran"] is (vendor == "sqlite")


@pytest.fixture
def observed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What each command's work saw of its session, the work itself replaced by the slow statement."""
    seen: dict[str, Any] = {}

    def work(*args: Any, **kwargs: Any) -> Any:
        seen["timeout"] = timeout_of()
        seen["ran"] = slow_statement()
        return {"seconds": 0}

    monkeypatch.setattr(schema, "seed", work)
    monkeypatch.setattr(schema, "create_schema", lambda drop: work() and [])
    monkeypatch.setattr(schema, "schema_indexes", lambda: work() and {})
    monkeypatch.setattr(runner, "refresh_loop", work)
    return seen


@pytest.mark.usefixtures("one_second_sessions")
@pytest.mark.parametrize("action", [["seed", "--jobs", "10"], ["createschema"], ["indexes"], ["rollup", "--backfill"]])
def test_the_commands_run_a_slow_statement_to_its_end(action: list[str], observed: dict[str, Any], vendor: str) -> None:
    call_command("pandadb", *action)
    assert observed == {"timeout": 0.0 if vendor in SESSION_TIMEOUT else None, "ran": True}
    assert timeout_of() == expected_timeout(vendor)  # the session has its timeout back
    assert slow_statement() is (vendor == "sqlite")


@pytest.mark.usefixtures("one_second_sessions")
def test_a_session_opened_during_a_command_has_no_timeout_and_others_keep_theirs(vendor: str) -> None:
    opened = connections.create_connection("panda")  # as a command that connects again would
    try:
        with sessions.no_statement_timeout():
            opened.ensure_connection()
            inside = sessions.session_timeout(opened, 0)
        after = sessions.session_timeout(opened, 0)
    finally:
        opened.close()
    fresh = connections.create_connection("panda")
    try:
        fresh.ensure_connection()
        outside = sessions.session_timeout(fresh, 0)
    finally:
        fresh.close()
    if vendor == "sqlite":
        assert inside is after is outside is None
        return
    configured = {"mysql": 20, "postgresql": "20s"}[vendor]  # the settings' min(statement_timeout_ms, request_seconds)
    assert (inside, after, outside) in (
        (0, configured, configured),
        ("0", configured, configured),
    )
