"""A large volume of demo jobs in minutes: the seeded jobs (and the Harvester workers and
their job relations, so that the autopilot grows with them) copied in SQL, INSERT ... SELECT,
each copy with its PandaIDs and worker ids shifted past the ones before it and its times a
little earlier, so that the copies stay in the seeded days and the jobs per hour grow as in a
bigger PanDA. The generator (schema.seed) writes about 1,000 jobs a second; a copy in SQL is
many times faster. Only ever in a database of ours (schema.check_ours), like the seed.

The files and metadata (FILESTABLE4, FILESTABLE_ARCH, METATABLE) are not copied: a copied
job has no files. The tasks, queues and the worker stats stay as seeded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, models
from django.db.models import Case, F, Max, Min, QuerySet, When

from . import schema
from .models import ALL_MODELS, JOB_MODELS, HarvesterRelJobsWorkers, HarvesterWorkers
from .router import PANDA_ALIAS
from .tables import qualified_name

COPIED: tuple[type[models.Model], ...] = (*JOB_MODELS.values(), HarvesterWorkers, HarvesterRelJobsWorkers)
# Times up to here mean "not set" (starttime and endtime hold 1970-01-01): never shifted.
NOT_SET_UNTIL = datetime(1970, 1, 2, tzinfo=UTC)
# Rows per INSERT ... SELECT, in key order: a bounded transaction and, on MariaDB, a bounded
# temporary table (a SELECT from the table being inserted into is read into one first).
CHUNK = 100_000


@dataclass(frozen=True)
class Steps:
    """What copy k adds: k * pandaid to every PandaID, k * workerid to every worker id, and
    k * seconds taken from every time."""

    pandaid: int
    workerid: int
    seconds: int


def _span(rows: QuerySet[Any], key: str) -> tuple[int, int] | None:
    bounds = rows.using(PANDA_ALIAS).aggregate(low=Min(key), high=Max(key))
    return None if bounds["low"] is None else (int(bounds["low"]), int(bounds["high"]))


def steps_for(seconds: int) -> Steps:
    """Steps past every PandaID and worker id the tables hold now, so that no copy collides
    with the rows before it."""

    def width(pairs: list[tuple[type[models.Model], str]]) -> int:
        spans = [s for s in (_span(m._default_manager.all(), key) for m, key in pairs) if s]
        return max(s[1] for s in spans) - min(s[0] for s in spans) + 1 if spans else 1

    return Steps(
        pandaid=width([(m, "pandaid") for m in COPIED if m is not HarvesterWorkers]),
        workerid=width([(HarvesterWorkers, "workerid"), (HarvesterRelJobsWorkers, "workerid")]),
        seconds=seconds,
    )


def _copied_value(field: models.Field[Any, Any], copy: int, steps: Steps) -> Any:
    ref = F(field.name)
    if field.name == "pandaid":
        return ref + copy * steps.pandaid
    if field.name == "workerid":
        return ref + copy * steps.workerid
    if isinstance(field, models.DateTimeField) and steps.seconds:
        shifted = ref - timedelta(seconds=copy * steps.seconds)
        return Case(When(**{f"{field.name}__gt": NOT_SET_UNTIL}, then=shifted), default=ref, output_field=field)
    return ref


def _chunks(model: type[models.Model]) -> list[dict[str, Any]]:
    """The rows there are now, in filters of at most CHUNK keys, each a range of the primary
    key's start: PANDAID for the job tables; HARVESTERID and WORKERID for the two worker
    tables (a range of WORKERID alone would read the whole table for each chunk)."""
    if model not in (HarvesterWorkers, HarvesterRelJobsWorkers):
        span = _span(model._default_manager.all(), "pandaid")
        return [{"pandaid__gte": low, "pandaid__lt": min(low + CHUNK, span[1] + 1)} for low in range(span[0], span[1] + 1, CHUNK)] if span else []
    chunks = []
    manager = model._default_manager.using(PANDA_ALIAS)
    for harvesterid in manager.order_by().values_list("harvesterid", flat=True).distinct():
        span = _span(manager.filter(harvesterid=harvesterid), "workerid")
        assert span is not None
        chunks += [
            {"harvesterid": harvesterid, "workerid__gte": low, "workerid__lt": min(low + CHUNK, span[1] + 1)}
            for low in range(span[0], span[1] + 1, CHUNK)
        ]
    return chunks


def _insert_copy(model: type[models.Model], copy: int, steps: Steps, chunk: dict[str, Any]) -> int:
    """One INSERT ... SELECT: copy `copy` of the rows of one chunk. The SELECT is Django's, so
    that each vendor gets its own date arithmetic."""
    fields = [f for f in model._meta.local_concrete_fields if f.column]
    values = {f"copied_{f.column}": _copied_value(f, copy, steps) for f in fields}
    query = (
        model._default_manager.using(PANDA_ALIAS)
        .filter(**chunk)
        .annotate(**values)
        .values(*values)
        .query
    )
    select, params = query.get_compiler(PANDA_ALIAS).as_sql()
    conn = connections[PANDA_ALIAS]
    columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
    with conn.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qualified_name(schema.table_of(model).upper())} ({columns}) {select}", params)
        return int(cursor.rowcount)


def add_copies(times: int, steps: Steps, progress: Any = None) -> dict[str, int]:
    """Copies 1 .. times-1 of the rows there are now in the job tables and the Harvester
    workers' two tables: each table ends with `times` times its rows. Rows added, per table."""
    added: dict[str, int] = {}
    for model in COPIED:
        table = schema.table_of(model).upper()
        chunks = _chunks(model)
        added[table] = 0
        for copy in range(1, times):
            for chunk in chunks:
                added[table] += _insert_copy(model, copy, steps, chunk)
            if progress:
                progress(f"{table}: copy {copy + 1} of {times}, {added[table]:,} rows added")
    return added


def copy_base(source: str, progress: Any = None) -> dict[str, int]:
    """Every PanDA table's rows from another database on the same MariaDB server (a seeded
    database read, never written), into the same tables here."""
    conn = connections[PANDA_ALIAS]
    if conn.vendor != "mysql":
        raise ValueError("copying from another database needs MariaDB: the two databases on one server")
    copied: dict[str, int] = {}
    with conn.cursor() as cursor:
        for model in ALL_MODELS:
            table = schema.table_of(model)
            columns = ", ".join(conn.ops.quote_name(c) for c in schema.columns_of(model))
            cursor.execute(
                f"INSERT INTO {qualified_name(table.upper())} ({columns}) SELECT {columns} FROM "
                f"{conn.ops.quote_name(source)}.{conn.ops.quote_name(table.lower())}"
            )
            copied[table.upper()] = int(cursor.rowcount)
            if progress:
                progress(f"{table.upper()}: {copied[table.upper()]:,} rows copied from {source}")
    return copied


def multiply(times: int, seconds: int, source: str | None = None, progress: Any = None) -> dict[str, Any]:
    """The job and worker tables `times` times over, the secondary indexes dropped while the
    rows go in and built once after (as for the seed). With `source`, the tables are emptied
    and the base copied from that database first. Rows added per table, and seconds taken."""
    schema.check_ours()
    started = time.monotonic()
    counts: dict[str, Any] = {}
    with schema._secondary_indexes_deferred(ALL_MODELS if source else COPIED):
        if source:
            schema.clear_data()
            counts["copied"] = copy_base(source, progress)
        counts["added"] = add_copies(times, steps_for(seconds), progress)
        if progress:
            progress("building the secondary indexes")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts
