"""The PanDA database out of reach, lost in the middle of a request, hung, or too slow: every
API endpoint answers a 503 JSON error with Retry-After, /healthz says which part failed, a
page says so in words, and everything works again once the database is back, without a
restart.

The requests go through `Worker`, Django's own WSGI handler in this thread, as a gunicorn
sync worker runs it: persistent connections, and Django's request signals, which close a
connection that failed. (The test client turns those signals off, so it could not show that
recovery needs nothing from us.) The tests are transactional: a connection cannot be lost
and replaced inside the transaction the other tests run in.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import Client, RequestFactory

from pandjango.api import errors
from pandjango.endpoints.base import ENDPOINTS, SectionView
from pandjango.pandadb.models import JobsActive4
from pandjango.pandadb.tables import qualified_name
from pandjango.rawsql import running
from sections.production import queries as production_queries
from tests.memcached import free_port

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "panda"])

SAMPLE_PATH_VALUES = {"int": "6400000001", "str": "ANALY_X"}
# What an endpoint needs to get as far as its query.
SAMPLE_PARAMS = {"meta.search": "q=1", "production.status": "pandaid=1,2", "stats.timeseries": "metric=jobs_finished"}
# Endpoints that read nothing from the PanDA database: they keep answering.
WITHOUT_PANDA = {"meta.beta", "meta.queries"}
UNAVAILABLE = "the PanDA database is unavailable; retry later"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers["Content-Type"].startswith("application/json"), self.headers
        return orjson.loads(self.body)


class Worker:
    """A gunicorn sync worker in miniature: Django's WSGI handler called in this thread, with
    its request_started/request_finished signals (close_old_connections) and persistent
    database connections."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.cookies = ""

    def get(self, path: str, **extra: str) -> Answer:
        environ = RequestFactory().get(path, **extra).environ
        if self.cookies:
            environ["HTTP_COOKIE"] = self.cookies
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started.update(status=int(status.split()[0]), headers=dict(headers))

        response = self.handler(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: Django closes a connection that failed
        return Answer(started["status"], started["headers"], body)


def _path(endpoint: type[SectionView]) -> str:
    path = re.sub(r"<(\w+)>", lambda m: SAMPLE_PATH_VALUES[endpoint.path_params[m.group(1)]], endpoint.path_template)
    query = SAMPLE_PARAMS.get(endpoint.endpoint)
    return f"{path}?{query}" if query else path


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused."""
    return free_port()


@contextmanager
def unreachable(alias: str, tmp_path: Path) -> Iterator[None]:
    """The database `alias` out of reach: MariaDB at a port that refuses connections, SQLite
    at a path that is a directory. Put back as it was on leaving; nothing is reset."""
    connection = connections[alias]
    connection.close()
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path)
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.settings_dict.update(saved)


@pytest.fixture
def worker(staff_user: User) -> Iterator[Worker]:
    """A worker whose requests come from signed-in staff (every endpoint open), with its
    session made before any database is taken away."""
    client = Client()
    client.force_login(staff_user)
    worker = Worker()
    worker.cookies = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    yield worker
    for alias in ("panda", "default"):
        connections[alias].close()


def assert_unavailable(answer: Answer, code: str = "database_unavailable") -> dict[str, Any]:
    assert answer.status == 503, (answer.status, answer.body[:300])
    assert answer.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    error: dict[str, Any] = answer.json()["error"]
    assert (error["status"], error["code"]) == (503, code)
    return error


# ---------------------------------------------------------------------------- unreachable


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_api_endpoint_answers_503_json_with_retry_after_while_the_database_is_unreachable(
    worker: Worker, tmp_path: Path, name: str
) -> None:
    with unreachable("panda", tmp_path):
        answer = worker.get(_path(ENDPOINTS[name]))
    if name in WITHOUT_PANDA:
        assert answer.status == 200, answer.body[:300]
    else:
        assert assert_unavailable(answer)["message"] == UNAVAILABLE


def test_healthz_answers_503_and_says_it_is_the_panda_database(worker: Worker, tmp_path: Path, vendor: str) -> None:
    with unreachable("panda", tmp_path):
        answer = worker.get("/healthz")
    assert answer.status == 503 and answer.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    body = answer.json()
    assert body["status"] == "unavailable" and body["cache"] == "ok"
    assert body["database"] == ("unavailable: panda database: OperationalError" + (" 2002" if vendor == "mysql" else ""))


def test_healthz_names_djangos_own_database_when_that_one_fails(worker: Worker, tmp_path: Path) -> None:
    with unreachable("default", tmp_path):
        answer = worker.get("/healthz")
    assert answer.status == 503
    assert answer.json()["database"] == "unavailable: default database: OperationalError"


def test_everything_recovers_when_the_database_is_back_without_a_restart(worker: Worker, tmp_path: Path) -> None:
    assert worker.get("/api/production/jobs/summary/").status == 200
    with unreachable("panda", tmp_path):
        assert_unavailable(worker.get("/api/production/jobs/"))
        assert worker.get("/healthz").status == 503
    # The same worker, nothing closed or reset by hand.
    health = worker.get("/healthz").json()
    assert (health["status"], health["database"], health["cache"]) == ("ok", "ok", "ok")
    assert worker.get("/api/production/jobs/").status == 200


def test_an_answer_in_the_cache_is_still_served_while_the_database_is_down(worker: Worker, tmp_path: Path) -> None:
    first = worker.get("/api/sites/clouds/")
    assert first.status == 200 and first.headers["X-Cache"] == "MISS"
    with unreachable("panda", tmp_path):
        cached = worker.get("/api/sites/clouds/")
        assert (cached.status, cached.headers["X-Cache"], cached.body) == (200, "HIT", first.body)
        assert_unavailable(worker.get("/api/sites/clouds/?hours=2"))  # anything not cached


def test_a_page_frame_needs_no_panda_database_its_figures_come_from_the_api(worker: Worker, tmp_path: Path) -> None:
    # The browser code shows the API's 503 message in place of the data
    # (tests/browser/test_reliability_pages.py).
    with unreachable("panda", tmp_path):
        assert worker.get("/production/jobs/").status == 200


def test_a_page_that_cannot_read_its_database_says_so_with_503(
    worker: Worker, tmp_path: Path, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.production.state", "beta")  # who may see it: the signed-in user, from the database
    with unreachable("default", tmp_path):
        answer = worker.get("/production/jobs/")
    assert answer.status == 503 and answer.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert b"The database is unavailable; retry later." in answer.body
    assert worker.get("/production/jobs/").status == 200


def test_a_plain_api_view_is_a_503_json_too(worker: Worker, tmp_path: Path, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.production.state", "beta")
    with unreachable("default", tmp_path):
        answer = worker.get("/api/")  # the sections this user may see: the user, from the database
    assert_unavailable(answer)


# ---------------------------------------------------------------------------- too slow


@pytest.fixture
def slow_jobs_list(monkeypatch: pytest.MonkeyPatch, pandjango_config: Callable[[str, Any], None], vendor: str) -> str:
    """The jobs list runs a query that takes far longer than the statement timeout (50 ms)."""
    pandjango_config("limits.statement_timeout_ms", 50)
    def slow(*args: Any, **kwargs: Any) -> Any:
        connection = connections["panda"]
        with connection.cursor() as cursor:
            if vendor == "mysql":
                cursor.execute("SET SESSION max_statement_time = 0.05")
                cursor.execute("SELECT SLEEP(30)")
            elif vendor == "postgresql":
                # The session took its statement_timeout from the settings when it connected;
                # RESET gives it back for the next request.
                cursor.execute("SET statement_timeout = 50")
                try:
                    cursor.execute("SELECT pg_sleep(30)")
                finally:
                    cursor.execute("RESET statement_timeout")
            else:
                table = qualified_name("JOBSARCHIVED4")
                with running.statement_time_limit(connection):
                    cursor.execute(f"SELECT COUNT(*) FROM {table} a, {table} b, {table} c")
        raise AssertionError("the statement was not stopped")

    monkeypatch.setattr(production_queries, "jobs_list", slow)
    return "/api/production/jobs/"


def test_a_query_past_the_statement_timeout_is_a_503_and_the_worker_is_free_at_once(worker: Worker, slow_jobs_list: str) -> None:
    started = time.monotonic()
    error = assert_unavailable(worker.get(slow_jobs_list), code="query_timeout")
    assert time.monotonic() - started < 5
    assert "limits.statement_timeout_ms" in error["message"]
    assert worker.get("/api/production/jobs/summary/").status == 200


# ---------------------------------------------------------------------------- MariaDB only

if settings.PANDJANGO["databases"]["panda"]["engine"] == "mysql":
    import MySQLdb

    def kill(thread_id: int) -> None:
        """KILL a server connection, from another connection."""
        db = connections["panda"].settings_dict
        other = MySQLdb.connect(host=db["HOST"], port=int(db["PORT"]), user=db["USER"], password=db["PASSWORD"])
        try:
            other.cursor().execute(f"KILL {thread_id}")
        finally:
            other.close()

    @pytest.fixture
    def dropped_mid_request(monkeypatch: pytest.MonkeyPatch) -> str:
        """The jobs list reads once, then loses its connection (killed on the server) before
        its next query."""
        original = production_queries.jobs_list

        def dropped(*args: Any, **kwargs: Any) -> Any:
            assert JobsActive4.objects.exists()
            kill(connections["panda"].connection.thread_id())
            return original(*args, **kwargs)

        monkeypatch.setattr(production_queries, "jobs_list", dropped)
        return "/api/production/jobs/"

    def test_a_connection_dropped_mid_request_is_a_503_and_the_next_request_reconnects(worker: Worker, dropped_mid_request: str) -> None:
        assert_unavailable(worker.get(dropped_mid_request))
        assert worker.get("/api/production/jobs/summary/").status == 200

    def test_a_connection_dropped_between_requests_goes_unnoticed(worker: Worker) -> None:
        assert worker.get("/api/production/jobs/summary/").status == 200
        kill(connections["panda"].connection.thread_id())  # the worker's persistent connection
        assert worker.get("/api/production/jobs/").status == 200  # health check, then a new connection

    @pytest.fixture
    def silent_server() -> Iterator[int]:
        """A port that accepts connections and never says a word, like a database host that
        hangs."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        yield int(server.getsockname()[1])
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()

    def test_a_database_that_hangs_is_a_503_after_the_connect_timeout(worker: Worker, silent_server: int) -> None:
        connection = connections["panda"]
        connection.close()
        saved = dict(connection.settings_dict)
        assert saved["OPTIONS"]["connect_timeout"] == 5
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(silent_server))
        try:
            started = time.monotonic()
            assert_unavailable(worker.get("/api/production/jobs/"))
            assert 4 < time.monotonic() - started < 15
        finally:
            connection.settings_dict.update(saved)
        assert worker.get("/api/production/jobs/").status == 200
