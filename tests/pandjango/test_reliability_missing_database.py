"""A database whose SQLite file is missing: a 503 JSON error naming that database, and no file
left behind (SQLite would create an empty one on connect; a server opens it `mode=rw`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

from tests.pandjango.test_reliability_database import Worker, assert_unavailable, worker  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "panda"])]


@contextmanager
def missing_file(alias: str, path: Path) -> Iterator[None]:
    connection = connections[alias]
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(ENGINE="pandjango.pandadb.sqlite", NAME=str(path))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.mark.once  # in the SQLite run, whose PanDA database is an SQLite file
def test_a_missing_panda_database_file_is_a_503_naming_it_and_nothing_is_created(worker: Worker, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "panda.sqlite3"
    assert connections["panda"].vendor == "sqlite", "run with the SQLite configuration (config/test/sqlite.toml)"
    with missing_file("panda", path):
        error = assert_unavailable(worker.get("/api/production/jobs/"))
    assert "PanDA database" in error["message"]
    assert not path.exists()


def test_a_missing_default_database_file_is_a_503_naming_djangos_own_database(worker: Worker, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "default.sqlite3"
    with missing_file("default", path):
        error = assert_unavailable(worker.get("/api/"))
    assert "(default" in error["message"] and "PanDA" not in error["message"]
    assert not path.exists()


def test_commands_outside_a_request_still_create_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with missing_file("default", path):
        connections["default"].ensure_connection()
    assert path.exists()
