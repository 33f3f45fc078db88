"""Pandjango against the published PostgreSQL DDL of PanDA (a manual check, docs/deploy.md).

    .venv/bin/python bench/ddl_check.py PATH/TO/panda-database/schema/postgres/sqls

PATH is the folder of PanDAWMS/panda-database's PostgreSQL DDL (pg_PANDA_TABLE.sql,
pg_PANDAARCH_TABLE.sql, pg_PANDAMETA_TABLE.sql), or those files themselves. The script:

1. creates a scratch database (dropped first if it exists) on the local PostgreSQL;
2. runs the DDL's statements for the tables Pandjango reads (pandjango/pandadb/tables.py):
   their CREATE SCHEMA, CREATE TABLE, keys and indexes as published. A partitioned table
   gets one DEFAULT partition; OWNER, GRANT, COMMENT and every other table are left out;
3. fills them with a few dozen rows from the demo generator (pandjango/pandadb/demodata/),
   in plain SQL, with the DDL's NOT NULL columns the generator does not know set to a zero;
4. starts Django with a config naming only the schemas (doma_panda, doma_pandaarch,
   doma_pandameta) and the database as not ours (read-only, as in production), and calls
   every /api/ endpoint and BigPanDA's paths with the test client as staff, printing its status and how many rows came back.

Nothing here is part of `make test`: the DDL is not in this repository, and the tables are
PanDA's, not the ones `manage.py pandadb createschema` builds.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DDL_FILES = ("pg_PANDA_TABLE.sql", "pg_PANDAARCH_TABLE.sql", "pg_PANDAMETA_TABLE.sql")
SCHEMAS = {"schema_panda": "doma_panda", "schema_archive": "doma_pandaarch", "schema_meta": "doma_pandameta"}
# What a path parameter is filled with, from the rows just inserted.
SAMPLE_PARAMS = {"meta.search": "q={pandaid}", "production.status": "pandaid={pandaid}", "stats.timeseries": "metric=jobs_finished"}


# ---------------------------------------------------------------------------- the DDL


def ddl_paths(given: list[str]) -> list[Path]:
    paths: list[Path] = []
    for item in map(Path, given):
        paths += [item / name for name in DDL_FILES] if item.is_dir() else [item]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"ddl_check: no such DDL file: {', '.join(missing)}")
    return paths


def statements(text: str) -> Iterator[str]:
    """The SQL statements of a psql script: split on semicolons outside quotes, without
    comment lines and psql's backslash commands."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("--", "\\"))]
    current: list[str] = []
    quoted = False
    for char in "\n".join(lines):
        if char == "'":
            quoted = not quoted
        if char == ";" and not quoted:
            statement = "".join(current).strip()
            if statement:
                yield statement
            current = []
        else:
            current.append(char)


CREATE_TABLE = re.compile(r"^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
ALTER_TABLE = re.compile(r"^ALTER\s+TABLE\s+(?:ONLY\s+)?(\w+)", re.I)
CREATE_INDEX = re.compile(r"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+\w+\s+ON\s+(?:ONLY\s+)?(\w+)", re.I)
PARTITIONED = re.compile(r"\)\s*PARTITION\s+BY\s+.*$", re.I | re.S)


def wanted(statement: str, tables: set[str]) -> list[str]:
    """What to run for one DDL statement: nothing, the statement, or (for a partitioned table)
    the statement and its DEFAULT partition."""
    flat = " ".join(statement.split())
    if re.match(r"^(CREATE SCHEMA|SET search_path)", flat, re.I):
        return [flat]
    if re.search(r"\bOWNER\s+TO\b", flat, re.I):
        return []
    for pattern in (CREATE_TABLE, ALTER_TABLE, CREATE_INDEX):
        found = pattern.match(flat)
        if found and found.group(1).lower() in tables:
            if pattern is CREATE_TABLE and PARTITIONED.search(statement):
                name = found.group(1)
                return [statement, f"CREATE TABLE {name}_default PARTITION OF {name} DEFAULT"]
            return [statement]
    return []


def load_ddl(conn: psycopg.Connection[Any], paths: list[Path], tables: set[str]) -> tuple[int, list[str]]:
    ran, failed = 0, []
    for path in paths:
        for statement in statements(path.read_text()):
            for sql in wanted(statement, tables):
                try:
                    conn.execute(sql)
                    ran += 1
                except psycopg.Error as exc:
                    failed.append(f"{path.name}: {' '.join(sql.split())[:90]}... -> {str(exc).splitlines()[0]}")
    return ran, failed


# ---------------------------------------------------------------------------- rows


def demo_rows(jobs: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """A few dozen rows per table, from the demo generator (names as in PANDA-SCHEMA.md)."""
    from pandjango.pandadb.demodata.jobs import generate_jobs
    from pandjango.pandadb.demodata.static import generate_static
    from pandjango.pandadb.demodata.workers import worker_stats
    from pandjango.pandadb.schema import JOB_TABLE_NAMES

    data, queues, tasks, rnd = generate_static(11, now, jobs, 4, "postgresql")
    rows = {table: list(table_rows) for table, table_rows in data.rows.items()}
    rows["SCHEDCONFIG_JSON"] = rows["SCHEDCONFIG_JSON"][:40]
    rows["SITEDATA"] = rows["SITEDATA"][:40]
    workers: list[dict[str, Any]] = []
    for generated in generate_jobs(rnd, queues, tasks, jobs, 4, now, 3):
        for short in generated.tables:
            rows.setdefault(JOB_TABLE_NAMES[short], []).append(generated.job)
        if generated.worker is not None:
            workers.append(generated.worker)
        if generated.relation is not None:
            rows.setdefault("HARVESTER_REL_JOBS_WORKERS", []).append(generated.relation)
    rows["HARVESTER_WORKERS"] = workers
    rows["HARVESTER_WORKER_STATS"] = worker_stats(workers, now)
    return rows


def _zero(data_type: str, now: datetime) -> Any:
    if data_type.startswith("timestamp"):
        return now
    if data_type in ("json", "jsonb"):
        return "{}"
    if data_type in ("character varying", "text", "character"):
        return ""
    return 0


def insert_rows(conn: psycopg.Connection[Any], rows: dict[str, list[dict[str, Any]]], now: datetime) -> dict[str, int]:
    from pandjango.pandadb.tables import TABLE_SCHEMA

    counts: dict[str, int] = {}
    for table, table_rows in rows.items():
        schema = SCHEMAS[TABLE_SCHEMA[table]]
        columns = conn.execute(
            "SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            [schema, table.lower()],
        ).fetchall()
        if not columns:
            counts[table] = -1  # not in the DDL given
            continue
        used = [(name, data_type, required) for name, data_type, required in columns if required or name in table_rows[0]]
        names = ", ".join(f'"{name}"' for name, _, _ in used)
        values = ", ".join("%s::json" if data_type == "json" else "%s" for _, data_type, _ in used)
        sql = f'INSERT INTO "{schema}"."{table.lower()}" ({names}) VALUES ({values})'
        with conn.cursor() as cursor:
            cursor.executemany(sql, [
                [row.get(name) if row.get(name) is not None or not required else _zero(data_type, now) for name, data_type, required in used]
                for row in table_rows
            ])
        counts[table] = len(table_rows)
    return counts


# ---------------------------------------------------------------------------- the API


def config_file(folder: Path, args: argparse.Namespace) -> Path:
    path = folder / "ddl_check.toml"
    path.write_text("\n".join([
        "[server]", "insecure_dev_secret_key = true", 'allowed_hosts = ["testserver"]',
        "[databases.default]", 'engine = "sqlite"', f'name = "{folder / "default.sqlite3"}"',
        "[databases.panda]", 'engine = "postgresql"', f'name = "{args.database}"', f'host = "{args.host}"',
        f"port = {args.port}", f'user = "{args.user}"',
        "[panda]", *[f'{key} = "{value}"' for key, value in SCHEMAS.items()],
        "[cache]", 'backend = "none"', "",
    ]))
    return path


def row_count(data: Any) -> str:
    if isinstance(data, list):
        return str(len(data))
    if isinstance(data, dict):
        lists = {key: len(value) for key, value in data.items() if isinstance(value, list)}
        return ", ".join(f"{key}: {n}" for key, n in lists.items()) or "1 object"
    return type(data).__name__


def call_every_endpoint(samples: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    import orjson
    from django.contrib.auth.models import User
    from django.test import Client

    from pandjango.endpoints.base import ENDPOINTS

    client = Client()
    client.force_login(User.objects.create_user("ddl-check", is_staff=True))  # every endpoint open
    answers = []
    for name, endpoint in sorted(ENDPOINTS.items()):
        path = re.sub(r"<(\w+)>", lambda m: str(samples[m.group(1)]), endpoint.path_template)
        query = SAMPLE_PARAMS.get(name, "").format(**samples)
        response = client.get(f"{path}?{query}" if query else path)
        body = orjson.loads(response.content) if response["Content-Type"].startswith("application/json") else {}
        shown = row_count(body["data"]) if "data" in body else body.get("error", {}).get("message", "")[:80]
        answers.append((name, f"{path}?{query}" if query else path, response.status_code, shown))
    for path in BIGPANDA_PATHS:  # BigPanDA's paths answer plain JSON, without our envelope
        path = path.format(**samples)
        response = client.get(path)
        body = orjson.loads(response.content) if response["Content-Type"].startswith("application/json") else None
        answers.append((path, path, response.status_code, row_count(body)))
    return answers


BIGPANDA_PATHS = (
    "/jobs/?json", "/job?json&pandaid={pandaid}", "/tasks/?json&datasets=True", "/task/{jeditaskid}/?json", "/errors/?json",
)


# ---------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ddl", nargs="+", help="the folder of the PostgreSQL DDL, or its .sql files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--database", default="pandjango_ddl_check", help="the scratch database (dropped and created)")
    parser.add_argument("--jobs", type=int, default=150, help="jobs to generate (default 150)")
    args = parser.parse_args()
    paths = ddl_paths(args.ddl)

    with tempfile.TemporaryDirectory() as folder:
        # Django first (the demo generator's modules need it); it connects only when asked.
        os.environ["PANDJANGO_CONFIG"] = str(config_file(Path(folder), args))
        os.environ["DJANGO_SETTINGS_MODULE"] = "pandjango.settings"
        import django

        django.setup()
        logging.getLogger("pandjango.request").setLevel(logging.WARNING)  # the answers are printed below
        failed = load_and_fill(args, paths)
        from django.core.management import call_command

        call_command("migrate", database="default", verbosity=0)
        answers = call_every_endpoint(SAMPLES)
    width = max(len(path) for _, path, _, _ in answers)
    for _, path, status, shown in answers:
        print(f"{status}  {path:{width}}  {shown}")
    bad = [name for name, _, status, _ in answers if status != 200]
    print(f"{len(answers)} endpoints, {len(answers) - len(bad)} answered 200" + (f"; not 200: {', '.join(bad)}" if bad else ""))
    return 1 if bad or failed else 0


SAMPLES: dict[str, Any] = {}


def load_and_fill(args: argparse.Namespace, paths: list[Path]) -> list[str]:
    """The scratch database with the DDL's tables and the demo rows; returns the DDL
    statements that failed, and sets SAMPLES (path parameters naming rows that exist)."""
    from pandjango.pandadb.tables import TABLE_SCHEMA

    tables = {t.lower() for t in TABLE_SCHEMA}
    server = {"host": args.host, "port": args.port, "user": args.user}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with psycopg.connect(dbname=args.database, autocommit=True, **server) as conn:
        ran, failed = load_ddl(conn, paths, tables)
        conn.execute("SET search_path TO public")
        print(f"DDL: {ran} statements run for {len(tables)} tables, {len(failed)} failed")
        for line in failed:
            print(f"  failed: {line}")
        rows = demo_rows(args.jobs, now)
        counts = insert_rows(conn, rows, now)
        print("rows: " + ", ".join(f"{t} {n}" if n >= 0 else f"{t} (no such table)" for t, n in sorted(counts.items())))
    job = next(iter(rows.get("JOBSACTIVE4") or rows["JOBSARCHIVED4"]))
    worker = rows["HARVESTER_WORKERS"][0]
    SAMPLES.update(
        pandaid=job["pandaid"], jeditaskid=job["jeditaskid"], nickname=rows["SCHEDCONFIG_JSON"][0]["panda_queue"],
        harvesterid=worker["harvesterid"], workerid=worker["workerid"],
    )
    return failed


if __name__ == "__main__":
    sys.exit(main())
