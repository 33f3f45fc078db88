from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from pandjango.pandadb import models, schema
from pandjango.pandadb.tables import TABLE_SCHEMA, qualified_name


def _introspect(table: str) -> dict[str, Any]:
    return schema.constraints_of(schema.MODEL_OF_TABLE[table.upper()])


def test_createschema_made_every_table() -> None:
    conn = connections["panda"]
    with schema.introspection_cursor() as cursor:
        tables = {t.lower() for t in conn.introspection.table_names(cursor)}
    assert {schema.table_of(m).lower() for m in models.ALL_MODELS} <= tables
    assert schema.MARKER_TABLE in tables


@pytest.mark.parametrize("table", sorted(schema.schema_indexes()))
def test_createschema_made_the_documented_indexes_under_their_ddl_names(table: str, vendor: str) -> None:
    found = {name: tuple(c["columns"]) for name, c in _introspect(table).items() if c["index"] and not c["primary_key"]}
    built = {str(ix.name) for ix in schema.indexes_of(schema.MODEL_OF_TABLE[table])}
    for name, columns in schema.schema_indexes()[table]:
        if name not in built and vendor == "sqlite":
            continue  # a name an earlier table took in SQLite's one namespace (schema.indexes_of)
        # PostgreSQL's DDL spells index names in lower case, Oracle's in upper case.
        ddl_name = name.lower() if vendor == "postgresql" else name
        assert found.get(ddl_name) == tuple(columns), f"{table}: index {ddl_name} on {columns} missing"


def test_createschema_made_the_real_primary_keys() -> None:
    def pk(table: str) -> list[str]:
        return next(c["columns"] for c in _introspect(table).values() if c["primary_key"])

    assert pk("jobsarchived4") == ["pandaid", "modificationtime"]
    assert pk("jobsactive4") == ["pandaid"]
    assert pk("harvester_workers") == ["harvesterid", "workerid"]
    assert pk("harvester_rel_jobs_workers") == ["harvesterid", "workerid", "pandaid"]


def test_createschema_made_the_tables_in_their_configured_schemas(vendor: str) -> None:
    if vendor != "postgresql":
        # One database holds every table (MariaDB's test database, SQLite's file).
        assert {schema.schema_of(t) for t in TABLE_SCHEMA} == {""}
        return
    with connections["panda"].cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema LIKE 'doma%%'")
        found = {(s, t) for s, t in cursor.fetchall()}
    assert found == {(schema.schema_of(t).lower(), t.lower()) for t in TABLE_SCHEMA}
    assert {s for s, _ in found} == {"doma_panda", "doma_pandaarch", "doma_pandameta"}


def test_createschema_refuses_a_database_not_marked_ours(pandjango_config: Any) -> None:
    pandjango_config("databases.panda.ours", False)
    with pytest.raises(CommandError, match="not marked as ours"):
        call_command("pandadb", "createschema")
    with pytest.raises(CommandError, match="not marked as ours"):
        call_command("pandadb", "seed", "--jobs", "10")


def test_createschema_refuses_panda_tables_it_did_not_create() -> None:
    conn = connections["panda"]
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE {schema.MARKER_TABLE}")
    try:
        with pytest.raises(schema.NotOursError, match="no pandjango_ours table"):
            schema.create_schema(drop=True)
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {qualified_name('JOBSACTIVE4')}")
            assert cursor.fetchone()[0] > 0  # touched nothing
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {schema.MARKER_TABLE} (created_at VARCHAR(40))")


def test_the_indexes_command_lists_the_ddl_indexes(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("pandadb", "indexes")
    out = capsys.readouterr().out
    assert "JOBSARCH4_COMPSITE_5ATTR_IDX" in out and "JOBSACTIVE4_COMPSITESTATUS_IDX" in out and "HARV_WORKERS_LASTUPD_IDX" in out
