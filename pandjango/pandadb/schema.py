"""Creating the PanDA tables (with their real keys and indexes) and filling them, only ever
in a database of ours: the config must mark it `ours = true`, and a database that already
holds PanDA tables must carry our marker table too (so a real PanDA database that someone
marked by mistake is still refused).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models, transaction

from . import demodata
from .models import ALL_MODELS
from .router import PANDA_ALIAS, panda_is_ours
from .tables import qualified_name, schema_of

MARKER_TABLE = "pandjango_ours"


class NotOursError(Exception):
    pass


def table_of(model: type[models.Model]) -> str:
    return model._meta.db_table.split('"."')[-1].split("`.`")[-1]


def columns_of(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.local_concrete_fields if f.column]


def schema_indexes() -> dict[str, list[tuple[str, list[str]]]]:
    """Every index the schema command creates: table -> [(index name, columns)]."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for model in ALL_MODELS:
        fields = {f.name: f.column for f in model._meta.local_concrete_fields if f.column}
        name = table_of(model).upper()
        out[name] = [(str(ix.name), [fields[f] for f in ix.fields]) for ix in model._meta.indexes]
    return out


def _existing_tables() -> set[str]:
    with connections[PANDA_ALIAS].cursor() as cursor:
        return {t.lower() for t in connections[PANDA_ALIAS].introspection.table_names(cursor)}


def check_ours() -> None:
    alias_cfg = connections[PANDA_ALIAS].settings_dict
    if not panda_is_ours():
        raise NotOursError(
            f"refusing to write to the panda database {alias_cfg['NAME']!r}: it is not marked "
            "as ours (set databases.panda.ours = true only for a demo, test or benchmark database)"
        )
    existing = _existing_tables()
    panda_tables = {table_of(m).lower() for m in ALL_MODELS} & existing
    if panda_tables and MARKER_TABLE not in existing:
        raise NotOursError(
            f"refusing to write to {alias_cfg['NAME']!r}: it already holds PanDA tables "
            f"({', '.join(sorted(panda_tables)[:3])}, ...) but no {MARKER_TABLE} table, so it "
            "was not created by this command"
        )


def create_schema(drop: bool = False) -> list[str]:
    """Creates every PanDA table with its keys and indexes; returns the tables created."""
    check_ours()
    conn = connections[PANDA_ALIAS]
    existing = _existing_tables()
    created = []
    with conn.schema_editor() as editor:
        if conn.vendor == "postgresql":
            for schema in {schema_of(t) for t in ("JOBSACTIVE4", "JOBSARCHIVED", "SCHEDCONFIG")} - {""}:
                editor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema.lower()}"')
        if MARKER_TABLE not in existing:
            editor.execute(f"CREATE TABLE {MARKER_TABLE} (created_at VARCHAR(40))")
        for model in ALL_MODELS:
            exists = table_of(model).lower() in existing
            if exists and drop:
                editor.delete_model(model)
                exists = False
            if not exists:
                editor.create_model(model)
                # Django skips Meta.indexes of unmanaged models: create them here.
                for index in model._meta.indexes:
                    editor.execute(index.create_sql(model, editor))
                created.append(table_of(model))
    return created


def _adapt(value: Any, vendor: str) -> Any:
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)  # PanDA DATE columns hold whole seconds
        if vendor == "postgresql":
            return value.replace(tzinfo=UTC)
        return value.isoformat(sep=" ")
    return value


def _insert(table_model: type[models.Model], rows: Iterable[dict[str, Any]], batch: int = 5000) -> int:
    conn = connections[PANDA_ALIAS]
    vendor = conn.vendor
    columns = columns_of(table_model)
    placeholders = ", ".join(["%s"] * len(columns))
    quoted = ", ".join(conn.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {qualified_name(table_of(table_model).upper())} ({quoted}) VALUES ({placeholders})"
    count = 0
    chunk: list[tuple[Any, ...]] = []
    with conn.cursor() as cursor:
        for row in rows:
            chunk.append(tuple(_adapt(row.get(c), vendor) for c in columns))
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


MODEL_OF_TABLE = {table_of(m).upper(): m for m in ALL_MODELS}
JOB_TABLE_NAMES = {
    "defined": "JOBSDEFINED4", "waiting": "JOBSWAITING4", "active": "JOBSACTIVE4",
    "archived": "JOBSARCHIVED4", "archive": "JOBSARCHIVED",
}


def clear_data() -> None:
    check_ours()
    conn = connections[PANDA_ALIAS]
    with conn.cursor() as cursor:
        for model in ALL_MODELS:
            cursor.execute(f"DELETE FROM {qualified_name(table_of(model).upper())}")


def _index_names(model: type[models.Model]) -> set[str]:
    conn = connections[PANDA_ALIAS]
    with conn.cursor() as cursor:
        return {name.lower() for name in conn.introspection.get_constraints(cursor, table_of(model))}


@contextmanager
def _secondary_indexes_deferred() -> Iterator[None]:
    """A bulk load into tables without secondary indexes, then one build of each index, is
    several times faster than updating every index row by row."""
    conn = connections[PANDA_ALIAS]
    with conn.schema_editor() as editor:
        for model in ALL_MODELS:
            existing = _index_names(model)
            for index in model._meta.indexes:
                if str(index.name).lower() in existing:
                    editor.execute(index.remove_sql(model, editor))
    try:
        yield
    finally:
        with conn.schema_editor() as editor:
            for model in ALL_MODELS:
                existing = _index_names(model)
                for index in model._meta.indexes:
                    if str(index.name).lower() not in existing:
                        editor.execute(index.create_sql(model, editor))


def seed(jobs: int, days: int, seed_value: int, now: datetime, retention_days: int) -> dict[str, Any]:
    """Fills the panda database with demo data; returns counts per table and seconds taken."""
    check_ours()
    started = time.monotonic()
    naive_now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    data, queues, tasks, rnd = demodata.generate_static(seed_value, naive_now, jobs, days)
    counts: dict[str, Any] = {}
    with _secondary_indexes_deferred(), transaction.atomic(using=PANDA_ALIAS):
        clear_data()
        for table, rows in data.rows.items():
            counts[table] = _insert(MODEL_OF_TABLE[table], rows)
        job_batches: dict[str, list[dict[str, Any]]] = {t: [] for t in JOB_TABLE_NAMES}
        pilots: list[dict[str, Any]] = []
        for table, job, pilot in demodata.generate_jobs(rnd, queues, tasks, jobs, days, naive_now, retention_days):
            if table:
                job_batches[table].append(job)
            if pilot is not None:
                pilots.append(pilot)
            if len(pilots) >= 20000 or sum(len(b) for b in job_batches.values()) >= 20000:
                _flush(job_batches, pilots, counts)
        _flush(job_batches, pilots, counts)
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _flush(job_batches: dict[str, list[dict[str, Any]]], pilots: list[dict[str, Any]], counts: dict[str, Any]) -> None:
    for short, rows in job_batches.items():
        if rows:
            name = JOB_TABLE_NAMES[short]
            counts[name] = counts.get(name, 0) + _insert(MODEL_OF_TABLE[name], rows)
            rows.clear()
    if pilots:
        counts["PILOTQUEUE"] = counts.get("PILOTQUEUE", 0) + _insert(MODEL_OF_TABLE["PILOTQUEUE"], pilots)
        pilots.clear()
