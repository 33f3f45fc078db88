from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from pandjango.pandadb import models, schema


def _introspect(table: str) -> dict[str, Any]:
    conn = connections["panda"]
    with conn.cursor() as cursor:
        return conn.introspection.get_constraints(cursor, table)


def test_createschema_made_every_table() -> None:
    conn = connections["panda"]
    with conn.cursor() as cursor:
        tables = {t.lower() for t in conn.introspection.table_names(cursor)}
    assert {schema.table_of(m).lower() for m in models.ALL_MODELS} <= tables
    assert schema.MARKER_TABLE in tables


@pytest.mark.parametrize("table", sorted(schema.schema_indexes()))
def test_createschema_made_the_documented_indexes(table: str) -> None:
    found = {tuple(c["columns"]) for c in _introspect(table.lower()).values() if c["index"] and not c["primary_key"]}
    for name, columns in schema.schema_indexes()[table]:
        assert tuple(columns) in found, f"{table}: index {name} on {columns} missing"


def test_createschema_made_the_real_primary_keys() -> None:
    def pk(table: str) -> list[str]:
        return next(c["columns"] for c in _introspect(table).values() if c["primary_key"])

    assert pk("jobsarchived4") == ["pandaid", "modificationtime"]
    assert pk("jobsactive4") == ["pandaid"]
    assert pk("pilotqueue") == ["jobid", "nickname"]


def test_pilotqueue_tpid_is_unique() -> None:
    assert any(c["unique"] and c["columns"] == ["tpid"] for c in _introspect("pilotqueue").values())


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
            cursor.execute("SELECT COUNT(*) FROM jobsactive4")
            assert cursor.fetchone()[0] > 0  # touched nothing
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {schema.MARKER_TABLE} (created_at VARCHAR(40))")


def test_the_indexes_command_lists_the_hinted_indexes(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("pandadb", "indexes")
    out = capsys.readouterr().out
    assert "JOBSARCH4_SITE_CLOUD_IDX" in out and "JOBSACT4_SITE_STATUS_IDX" in out
