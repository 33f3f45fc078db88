"""The index hints of the job-table queries: Oracle's, chosen among the indexes the schema defines, and their MySQL form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from pandjango.pandadb.jobs import window_column
from pandjango.pandadb.schema import JOB_TABLE_NAMES, MODEL_OF_TABLE, constraints_of, schema_indexes
from pandjango.rawsql.definition import Hint


def job_index_hint(table: str, alias: str, columns: set[str], filtered: set[str]) -> str:
    """The Oracle hint for reading `columns` of a job table in a window on its window column
    (MODIFICATIONTIME; STATECHANGETIME in the archive), among the indexes the DDL defines
    (PANDA-SCHEMA.md): the task index when jobs of given tasks are wanted; else an index
    holding every column needed (the table itself is not read); else the one on the window
    column; else a full scan (JOBSDEFINED4 and JOBSWAITING4 are small and have no time index)."""
    indexes = schema_indexes().get(table, [])
    short = next(key for key, name in JOB_TABLE_NAMES.items() if name == table)
    time_column = window_column(short)
    needed = columns | {time_column}
    if "jeditaskid" in filtered:
        for name, cols in indexes:
            if cols[0] == "jeditaskid":
                return f"INDEX({alias} {name})"
    for name, cols in indexes:
        if needed <= set(cols):
            return f"INDEX({alias} {name})"
    for name, cols in indexes:
        if cols[0] == time_column:
            return f"INDEX({alias} {name})"
    return f"FULL({alias})"


# The index names each job table really has on the configured MySQL/MariaDB PanDA database,
# read once per process before the first raw query runs there: MySQL fails a statement whose
# USE INDEX names a missing index (error 1176), so such a hint is left out. None: not read
# (the texts shown by `rawsql show` keep every hint).
_mysql_indexes: dict[str, set[str]] | None = None


def read_mysql_indexes(connection: BaseDatabaseWrapper) -> None:
    global _mysql_indexes
    if _mysql_indexes is not None:
        return
    _mysql_indexes = {table: {name.upper() for name in constraints_of(MODEL_OF_TABLE[table])} for table in JOB_TABLE_NAMES.values()}


def mysql_index_hint(oracle_hint: Hint) -> Hint:
    """The MySQL form of an Oracle index hint, for the same table and shape: INDEX(j NAME)
    -> USE INDEX (NAME) where the table has that index; nothing for FULL(j) or a missing one."""

    def mysql(table: str, shape: Mapping[str, Any]) -> str:
        found = re.fullmatch(r"INDEX\(\w+ (\w+)\)", oracle_hint(table, shape))
        if not found:
            return ""
        if _mysql_indexes is not None and found.group(1).upper() not in _mysql_indexes.get(table, set()):
            return ""
        return f"USE INDEX ({found.group(1)})"

    return mysql


def job_hint(columns: Sequence[str], shape_columns: Sequence[str], filters: Sequence[str], alias: str = "j") -> Hint:
    """A Hint for a union over the job tables: fixed `columns`, the columns chosen by the
    shape parameters `shape_columns`, and the filters given."""

    def hint(table: str, shape: Mapping[str, Any]) -> str:
        used = set(columns)
        for name in shape_columns:
            chosen = shape.get(name)
            used |= {chosen} if isinstance(chosen, str) else set(chosen or ())
        given = {f for f in filters if shape.get(f) or shape.get(f + "_not")}
        return job_index_hint(table, alias, used | given, given)

    return hint
