"""Where each PanDA table lives: schema-qualified names from config, per database vendor.

On Oracle the same model reads ATLAS_PANDA.JOBSACTIVE4; on MariaDB and SQLite it reads
`jobsactive4` (or `schema`.`jobsactive4` when a schema is configured); on PostgreSQL the
lower-case name in the configured schema.
"""

from __future__ import annotations

from django.conf import settings

# Which configured schema holds each table.
PANDA, ARCHIVE, META = "schema_panda", "schema_archive", "schema_meta"

TABLE_SCHEMA = {
    "JOBSDEFINED4": PANDA,
    "JOBSWAITING4": PANDA,
    "JOBSACTIVE4": PANDA,
    "JOBSARCHIVED4": PANDA,
    "JOBSARCHIVED": ARCHIVE,
    "JEDI_TASKS": PANDA,
    "JEDI_DATASETS": PANDA,
    "JEDI_TASKPARAMS": PANDA,
    "FILESTABLE4": PANDA,
    "FILESTABLE_ARCH": ARCHIVE,
    "METATABLE": PANDA,
    "SCHEDCONFIG_JSON": PANDA,
    "RESOURCE_TYPES": PANDA,
    "HARVESTER_INSTANCES": PANDA,
    "HARVESTER_WORKERS": PANDA,
    "HARVESTER_WORKER_STATS": PANDA,
    "HARVESTER_REL_JOBS_WORKERS": PANDA,
    "ERROR_DESCRIPTIONS": PANDA,
    "SITEDATA": META,
}


def panda_vendor() -> str:
    return str(settings.PANDJANGO["databases"]["panda"]["engine"])


def schema_of(table: str) -> str:
    return str(settings.PANDJANGO["panda"][TABLE_SCHEMA[table]])


def db_table(table: str) -> str:
    """The value for Meta.db_table: Django quotes it, so 'S"."T' becomes "S"."T"."""
    vendor = panda_vendor()
    schema = schema_of(table)
    name = table if vendor == "oracle" else table.lower()
    if not schema:
        return name
    if vendor == "mysql":
        return f"{schema}`.`{name}"
    if vendor == "oracle":
        return f'{schema.upper()}"."{name}'
    if vendor == "postgresql":
        return f'{schema.lower()}"."{name}'
    return name  # SQLite has no schemas: one file is one database.


def qualified_name(table: str, vendor: str | None = None) -> str:
    """The table name as it is written in raw SQL, quoted for the vendor (by default the
    configured one; the raw SQL registry also shows other vendors' text)."""
    vendor = vendor or panda_vendor()
    schema = schema_of(table)
    if vendor == "oracle":
        return f"{schema.upper()}.{table}" if schema else table
    name = table.lower()
    if vendor == "mysql":
        return f"`{schema}`.`{name}`" if schema else f"`{name}`"
    if vendor == "postgresql":
        return f'"{schema.lower()}"."{name}"' if schema else f'"{name}"'
    return f'"{name}"'
