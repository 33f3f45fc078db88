"""The PanDA column types on each vendor, and PanDA's naive times read as UTC.

PanDA keeps UTC in columns without a time zone (Oracle DATE, PostgreSQL `timestamp without
time zone`): a time stored as 01:30:15 is 01:30:15Z, whatever the server's or the session's
time zone. The suite runs on SQLite, MariaDB and PostgreSQL; each test checks its vendor's
side of the same promise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
from django.db import connections
from django.test import Client

from pandjango.pandadb import models
from pandjango.pandadb.schema import columns_of, table_of
from pandjango.pandadb.tables import qualified_name, schema_of

# 01:30:15 on the night Europe moves its clocks forward: a wall time that a conversion through
# a local time zone would shift or refuse.
WALL_TIME = datetime(2025, 3, 30, 1, 30, 15)
REQUIREMENTS = Path(__file__).resolve().parents[3] / "requirements.txt"

# (table, column) -> the type each vendor gives it.
COLUMN_TYPES = {
    ("JOBSACTIVE4", "modificationtime"): {"postgresql": "timestamp without time zone", "mysql": "datetime", "sqlite": "datetime"},
    ("JOBSARCHIVED", "statechangetime"): {"postgresql": "timestamp without time zone", "mysql": "datetime", "sqlite": "datetime"},
    ("HARVESTER_WORKERS", "lastupdate"): {"postgresql": "timestamp without time zone", "mysql": "datetime", "sqlite": "datetime"},
    ("SCHEDCONFIG_JSON", "data"): {"postgresql": "json", "mysql": "longtext", "sqlite": "text"},
    ("JOBSARCHIVED4", "pandaid"): {"postgresql": "bigint", "mysql": "bigint", "sqlite": "bigint"},
    ("HARVESTER_WORKERS", "workerid"): {"postgresql": "bigint", "mysql": "bigint", "sqlite": "bigint"},
    ("JEDI_TASKS", "jeditaskid"): {"postgresql": "bigint", "mysql": "bigint", "sqlite": "bigint"},
}


def _column_type(table: str, column: str, vendor: str) -> str:
    with connections["panda"].cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(f"PRAGMA table_info({qualified_name(table)})")
            return next(str(row[2]).lower() for row in cursor.fetchall() if row[1] == column)
        if vendor == "postgresql":
            cursor.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s AND column_name = %s",
                [schema_of(table).lower() or "public", table.lower(), column],
            )
        else:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = %s AND column_name = %s",
                [table.lower(), column],
            )
        return str(cursor.fetchone()[0]).lower()


def test_the_columns_have_the_types_of_the_ddl(vendor: str) -> None:
    found = {key: _column_type(*key, vendor) for key in COLUMN_TYPES}
    assert found == {key: types[vendor] for key, types in COLUMN_TYPES.items()}


def _pinned(package: str) -> str:
    return re.search(rf"^{re.escape(package)}(\[\w+\])?==(\S+)$", REQUIREMENTS.read_text(), re.M).group(2)  # type: ignore[union-attr]


def test_the_driver_is_the_pinned_one_and_the_session_is_in_utc(vendor: str) -> None:
    conn = connections["panda"]
    conn.ensure_connection()
    assert conn.timezone_name == "UTC"
    if vendor == "postgresql":
        import psycopg

        assert isinstance(conn.connection, psycopg.Connection)  # psycopg 3, not psycopg2
        assert version("psycopg") == _pinned("psycopg")
        with conn.cursor() as cursor:
            cursor.execute("SHOW TIME ZONE")
            assert cursor.fetchone()[0] == "UTC"
    elif vendor == "mysql":
        import MySQLdb

        assert isinstance(conn.connection, MySQLdb.connections.Connection)
        assert version("mysqlclient") == _pinned("mysqlclient")
    else:
        assert type(conn.connection).__module__ == "sqlite3"


def _insert_raw(model: Any, row: dict[str, Any]) -> None:
    """One row written with plain SQL and a naive datetime, as PanDA's own server writes it."""
    conn = connections["panda"]
    row = {c: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v for c, v in row.items()}
    columns = [c for c in columns_of(model) if c in row]
    sql = (
        f"INSERT INTO {qualified_name(table_of(model).upper())} ({', '.join(conn.ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, [row[c] for c in columns])


def test_a_naive_time_reads_back_as_the_same_wall_time_in_utc() -> None:
    _insert_raw(models.HarvesterInstances, {"harvester_id": "wall_time_test", "lastupdate": WALL_TIME, "starttime": WALL_TIME})
    instance = models.HarvesterInstances.objects.get(harvester_id="wall_time_test")
    assert instance.lastupdate == WALL_TIME.replace(tzinfo=UTC)
    assert instance.lastupdate.tzinfo is not None and instance.lastupdate.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert models.HarvesterInstances.objects.filter(lastupdate=WALL_TIME.replace(tzinfo=UTC)).values_list("harvester_id", flat=True)[0] == "wall_time_test"
    assert models.HarvesterInstances.objects.filter(harvester_id="wall_time_test").values("starttime")[0]["starttime"] == WALL_TIME.replace(tzinfo=UTC)


def test_a_naive_time_written_raw_comes_out_of_the_api_unchanged_with_z(anon_client: Client) -> None:
    job = models.JobsActive4.objects.values(*[f.attname for f in models.JobsActive4._meta.concrete_fields]).first()
    assert job is not None
    pandaid = 6_399_999_001
    _insert_raw(models.JobsActive4, {**job, "pandaid": pandaid, "creationtime": WALL_TIME, "modificationtime": WALL_TIME, "statechangetime": WALL_TIME})
    response = anon_client.get(f"/api/production/jobs/{pandaid}/")
    assert response.status_code == 200, response.content[:300]
    data = orjson.loads(response.content)["data"]
    assert data["modificationtime"] == data["creationtime"] == "2025-03-30T01:30:15Z"
