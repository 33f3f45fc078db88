"""Creating the PanDA tables (with their real keys and indexes) and filling them, only ever
in a database of ours: the config must mark it `ours = true`, and a database that already
holds PanDA tables must carry our marker table too (so a real PanDA database that someone
marked by mistake is still refused).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models, transaction

from .demodata.jobs import generate_jobs
from .demodata.static import generate_static
from .demodata.workers import worker_stats
from .models import ALL_MODELS
from .models.jobs import SHARED_NAME_INDEXES
from .router import PANDA_ALIAS, panda_is_ours
from .tables import TABLE_SCHEMA, qualified_name, schema_of

MARKER_TABLE = "pandjango_ours"


class NotOursError(Exception):
    pass


def table_of(model: type[models.Model]) -> str:
    return model._meta.db_table.split('"."')[-1].split("`.`")[-1]


def columns_of(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.local_concrete_fields if f.column]


def indexes_of(model: type[models.Model]) -> list[models.Index]:
    """The model's DDL indexes that createschema builds. PostgreSQL's DDL spells them in lower
    case (Django would quote the upper-case names as given). The SHARED_NAME_INDEXES are built
    only where their table's schema keeps their name apart: not on SQLite (one namespace of
    index names per file), nor where the archive shares JOBSARCHIVED4's schema."""
    indexes = list(model._meta.indexes)
    vendor = connections[PANDA_ALIAS].vendor
    separate = vendor == "mysql" or (vendor != "sqlite" and schema_of("JOBSARCHIVED").lower() != schema_of("JOBSARCHIVED4").lower())
    if separate:
        indexes += SHARED_NAME_INDEXES.get(model, [])
    if vendor == "postgresql":
        return [_renamed(ix, str(ix.name).lower()) for ix in indexes]
    return indexes


def schema_indexes() -> dict[str, list[tuple[str, list[str]]]]:
    """Every index the schema command creates: table -> [(index name, columns)]."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for model in ALL_MODELS:
        fields = {f.name: f.column for f in model._meta.local_concrete_fields if f.column}
        name = table_of(model).upper()
        ddl = [*model._meta.indexes, *SHARED_NAME_INDEXES.get(model, [])]
        out[name] = [(str(ix.name), [fields[f] for f in ix.fields]) for ix in ddl]
    return out


def _renamed(index: models.Index, name: str) -> models.Index:
    copy = index.clone()
    copy.name = name
    return copy


def _panda_schemas() -> list[str]:
    return sorted({schema_of(t).lower() for t in TABLE_SCHEMA} - {""})


@contextmanager
def introspection_cursor() -> Iterator[Any]:
    """A cursor for Django's introspection of the PanDA tables. On PostgreSQL it sees only the
    tables on the search path, and the PanDA tables sit in their own schemas (doma_panda...):
    they are put in front of the path while the cursor is open."""
    conn = connections[PANDA_ALIAS]
    with conn.cursor() as cursor:
        schemas = _panda_schemas() if conn.vendor == "postgresql" else []
        if not schemas:
            yield cursor
            return
        cursor.execute("SELECT current_setting('search_path')")
        saved = cursor.fetchone()[0]
        cursor.execute(f"SET search_path TO {', '.join(conn.ops.quote_name(s) for s in schemas)}, {saved}")
        try:
            yield cursor
        finally:
            cursor.execute(f"SET search_path TO {saved}")


def constraints_of(model: type[models.Model]) -> dict[str, Any]:
    """The keys and indexes the database has on the model's table, as Django introspects them."""
    with introspection_cursor() as cursor:
        return connections[PANDA_ALIAS].introspection.get_constraints(cursor, table_of(model))


def _existing_tables() -> set[str]:
    with introspection_cursor() as cursor:
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
            for schema in _panda_schemas():
                editor.execute(f"CREATE SCHEMA IF NOT EXISTS {conn.ops.quote_name(schema)}")
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
                for index in indexes_of(model):
                    editor.execute(index.create_sql(model, editor))
                created.append(table_of(model))
    return created


def _adapt(value: Any, vendor: str) -> Any:
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)  # PanDA DATE columns hold whole seconds
        if vendor == "postgresql":
            return value  # naive UTC, as the DDL's timestamp without time zone holds it
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
    return {name.lower() for name in constraints_of(model)}


@contextmanager
def _secondary_indexes_deferred(deferred: Sequence[type[models.Model]] = ALL_MODELS) -> Iterator[None]:
    """A bulk load into tables without secondary indexes, then one build of each index, is
    several times faster than updating every index row by row."""
    for model in deferred:
        existing = _index_names(model)
        _alter_indexes(model, "drop", [ix for ix in indexes_of(model) if str(ix.name).lower() in existing])
    try:
        yield
    finally:
        for model in deferred:
            existing = _index_names(model)
            _alter_indexes(model, "create", [ix for ix in indexes_of(model) if str(ix.name).lower() not in existing])


def _alter_indexes(model: type[models.Model], action: str, indexes: list[models.Index]) -> None:
    """Drops or creates a table's indexes. On MariaDB in one ALTER TABLE: InnoDB then reads a
    large table once for all its new indexes, where a CREATE INDEX each reads it once each."""
    conn = connections[PANDA_ALIAS]
    with conn.schema_editor() as editor:
        if conn.vendor == "mysql" and indexes:
            quote = conn.ops.quote_name
            if action == "drop":
                clauses = [f"DROP INDEX {quote(str(ix.name))}" for ix in indexes]
            else:
                column = {f.name: str(f.column) for f in model._meta.local_concrete_fields if f.column}
                clauses = [f"ADD INDEX {quote(str(ix.name))} ({', '.join(quote(column[f]) for f in ix.fields)})" for ix in indexes]
            editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} {', '.join(clauses)}")
            return
        for index in indexes:
            editor.execute(index.remove_sql(model, editor) if action == "drop" else index.create_sql(model, editor))


def seed(jobs: int, days: int, seed_value: int, now: datetime, retention_days: int) -> dict[str, Any]:
    """Fills the panda database with demo data; returns counts per table and seconds taken."""
    check_ours()
    started = time.monotonic()
    naive_now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    vendor = connections[PANDA_ALIAS].vendor
    data, queues, tasks, rnd = generate_static(seed_value, naive_now, jobs, days, vendor)
    counts: dict[str, Any] = {}
    batch = _Batch(counts)
    active_workers: list[dict[str, Any]] = []
    with _secondary_indexes_deferred(), transaction.atomic(using=PANDA_ALIAS):
        clear_data()
        for table, rows in data.rows.items():
            counts[table] = _insert(MODEL_OF_TABLE[table], rows)
        for generated in generate_jobs(rnd, queues, tasks, jobs, days, naive_now, retention_days):
            for short in generated.tables:
                batch.add(JOB_TABLE_NAMES[short], generated.job)
                files_table = "FILESTABLE_ARCH" if short == "archive" else "FILESTABLE4"
                for row in generated.files:
                    batch.add(files_table, row)
                if generated.metadata is not None and short != "archive":
                    batch.add("METATABLE", generated.metadata)
            if generated.worker is not None:
                batch.add("HARVESTER_WORKERS", generated.worker)
                if generated.worker["status"] in ("submitted", "ready", "running", "idle"):
                    active_workers.append(generated.worker)
            if generated.relation is not None:
                batch.add("HARVESTER_REL_JOBS_WORKERS", generated.relation)
        batch.flush()
        counts["HARVESTER_WORKER_STATS"] = _insert(MODEL_OF_TABLE["HARVESTER_WORKER_STATS"], worker_stats(active_workers, naive_now))
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


class _Batch:
    """Rows collected per table and inserted 20,000 at a time."""

    SIZE = 20000

    def __init__(self, counts: dict[str, Any]) -> None:
        self.counts = counts
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.pending = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
        self.pending += 1
        if self.pending >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                self.counts[table] = self.counts.get(table, 0) + _insert(MODEL_OF_TABLE[table], rows)
                rows.clear()
        self.pending = 0
