"""The raw SQL benchmark: every registered query against its ORM equivalent
(tests/pandjango/rawsql_orm.py), on the seeded MariaDB of config/bench/mariadb.toml, in one
run. Each case runs once to warm up, then `--repeat` times raw and ORM in turn; the median
times go out as a Markdown table, with the index MariaDB chose for JOBSARCHIVED4.

    .venv/bin/python bench/rawsql_bench.py [--repeat 7] [--config config/bench/mariadb.toml]

Needs the bench database seeded
(`PANDJANGO_CONFIG=config/bench/mariadb.toml manage.py pandadb seed --jobs 1000000 --days 3`).
Both sides must give the same rows, or the run stops. A side that runs past the statement
timeout (limits.statement_timeout_ms) is reported as such and not repeated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup(config: str) -> None:
    os.environ["PANDJANGO_CONFIG"] = config
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pandjango.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


Case = tuple[str, str, Callable[[datetime], dict[str, Any]]]


def _ago(now: datetime, hours: int) -> dict[str, datetime]:
    return {"date_from": now - timedelta(hours=hours), "date_to": now}


CASES: list[Case] = [
    ("production.jobs_summary", "groupby=jobstatus, 12 h", lambda now: {**_ago(now, 12), "groupby": ["jobstatus"]}),
    ("production.jobs_summary", "groupby=computingsite, 12 h", lambda now: {**_ago(now, 12), "groupby": ["computingsite"]}),
    ("production.jobs_summary", "groupby=computingsite,jobstatus, 3 days", lambda now: {**_ago(now, 72), "groupby": ["computingsite", "jobstatus"]}),
    (
        "production.jobs_summary", "groupby=produsername, jobstatus=failed, 12 h",
        lambda now: {**_ago(now, 12), "groupby": ["produsername"], "jobstatus": ["failed"]},
    ),
    ("production.failed_jobs_by_code", "12 h", lambda now: _ago(now, 12)),
    ("production.failed_jobs_by_code", "3 days", lambda now: _ago(now, 72)),
    ("production.failed_jobs_by", "groupby=computingsite, 12 h", lambda now: {**_ago(now, 12), "groupby": "computingsite"}),
    ("stats.jobs", "cloud x jobstatus, 12 h", lambda now: {**_ago(now, 12), "rows": "cloud", "cols": "jobstatus"}),
    (
        "stats.jobs_timeseries", "jobs_finished, 1h bins, 24 h",
        lambda now: {**_ago(now, 24), "bin_seconds": "1h", "time": "endtime", "jobstatus": ["finished"], "tables": ["archived", "archive"]},
    ),
    (
        "stats.jobs_timeseries", "jobs_created by cloud, 15m bins, 12 h",
        lambda now: {**_ago(now, 12), "bin_seconds": "15m", "time": "creationtime", "groupby": "cloud"},
    ),
    ("stats.pilots_timeseries", "pilots_submitted, 1h bins, 24 h", lambda now: {**_ago(now, 24), "bin_seconds": "1h"}),
    ("autopilot.queue_pilot_counts", "12 h", lambda now: _ago(now, 12)),
]


class TimedOut(Exception):
    pass


def _timed(call: Callable[[], list[dict[str, Any]]]) -> tuple[float, list[dict[str, Any]]]:
    """Milliseconds and rows; TimedOut when the database stopped the statement."""
    from django.db import DatabaseError

    from pandjango.api import errors

    started = time.perf_counter()
    try:
        rows = call()
    except (errors.ApiError, DatabaseError) as exc:
        error = exc if isinstance(exc, errors.ApiError) else errors.database_error(exc)
        if error is None or error.code != "timeout":
            raise
        raise TimedOut from None
    return (time.perf_counter() - started) * 1000, rows


def _median(call: Callable[[], list[dict[str, Any]]], repeat: int) -> tuple[str, float | None, list[dict[str, Any]] | None]:
    """The median time as a cell of the table, and the rows of the first run."""
    try:
        first = _timed(call)[1]
    except TimedOut:
        return "timeout", None, None
    runs = [_timed(call)[0] for _ in range(repeat)]
    median = statistics.median(runs)
    return f"{median:.1f}", median, first


def _big_table_plan(name: str, params: dict[str, Any]) -> str:
    """How MariaDB reads JOBSARCHIVED4 (or HARVESTER_WORKERS) for the raw query."""

    from pandjango.rawsql import registry, running

    if "tables" in {p.name for p in registry.get(name).params}:
        params = {**params, "tables": ["archived"]}
    rows = [r for r in running.explain(name, **params) if r.get("table") in ("j", "p")]
    return ", ".join(f"{r['type']} {r['key'] or ''}".strip() for r in rows) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--config", default=str(ROOT / "config" / "bench" / "mariadb.toml"))
    args = parser.parse_args()
    _setup(args.config)

    from django.conf import settings
    from django.db import connections
    from django.utils import timezone

    from pandjango.pandadb.models import JOB_MODELS, HarvesterWorkers
    from pandjango.rawsql import running
    from tests.pandjango.rawsql_orm import ORM

    jobs = sum(model.objects.count() for model in JOB_MODELS.values())
    pilots = HarvesterWorkers.objects.count()
    vendor = connections["panda"].vendor
    timeout = settings.PANDJANGO["limits"]["statement_timeout_ms"] / 1000
    print(f"{jobs:,} jobs, {pilots:,} pilots, {vendor}; median of {args.repeat} runs each, after one to warm up;")
    print(f"statement timeout {timeout:g} s\n")
    print("| query | parameters | rows | raw SQL (ms) | ORM (ms) | ORM / raw | MariaDB's plan for the big table (raw) |")
    print("|---|---|---:|---:|---:|---:|---|")
    now = timezone.now()
    for name, label, make in CASES:
        params = make(now)
        raw_cell, raw, raw_rows = _median(partial(running.run, name, **params), args.repeat)
        orm_cell, orm, orm_rows = _median(partial(ORM[name], **params), args.repeat)
        if raw_rows is not None and orm_rows is not None and raw_rows != orm_rows:
            raise SystemExit(f"{name} ({label}): the raw SQL and the ORM give different rows")
        ratio = f"{orm / raw:.2f}" if raw and orm else "-"
        rows = len(raw_rows) if raw_rows is not None else "-"
        plan = _big_table_plan(name, params) if vendor == "mysql" else "-"
        print(f"| {name} | {label} | {rows} | {raw_cell} | {orm_cell} | {ratio} | {plan} |", flush=True)


if __name__ == "__main__":
    main()
