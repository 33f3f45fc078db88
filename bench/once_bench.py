"""What counting each PandaID once costs: the heavy registered queries run as they are (a job
table's rows leave out the jobs a table later in the job's life holds, NOT EXISTS on that
table's PANDAID key) and with that rule switched off, in turn, on a seeded database of ours.
The counts say how many job rows the rule left out (the jobs PanDA's daily copy keeps in
both JOBSARCHIVED4 and the archive).

    PANDJANGO_CONFIG=<a config whose panda database is seeded> .venv/bin/python bench/once_bench.py [--repeat 5]

Seed it first, e.g. `manage.py pandadb createschema --drop && manage.py pandadb seed --jobs 300000 --days 4`.
Medians of --repeat runs after one to warm up, in one process; the table goes to standard output.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pandjango.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _cases(now: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    def ago(hours: int) -> dict[str, datetime]:
        return {"date_from": now - timedelta(hours=hours), "date_to": now}

    return [
        ("production.jobs_summary", "groupby=jobstatus, 12 h", {**ago(12), "groupby": ["jobstatus"]}),
        ("production.jobs_summary", "groupby=computingsite, 3 days", {**ago(72), "groupby": ["computingsite"]}),
        ("production.jobs_summary", "groupby=jobstatus, 4 days (the archive too)", {**ago(96), "groupby": ["jobstatus"]}),
        ("production.failed_jobs_by_code", "4 days", ago(96)),
    ]


def _timed(name: str, params: dict[str, Any], repeat: int) -> tuple[float, int]:
    from pandjango.rawsql.running import run

    times = []
    rows: list[dict[str, Any]] = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        rows = run(name, **params)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:]) * 1000, sum(int(row.get("count") or 0) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _setup()
    from django.db import connections
    from django.utils import timezone

    from pandjango.pandadb import jobs
    from pandjango.rawsql import template

    vendor = connections["panda"].vendor
    jobs_read = sum(m._default_manager.count() for m in jobs.JOB_MODELS.values())
    print(f"{jobs_read:,} job rows, {vendor}; median of {args.repeat} runs each, after one to warm up\n")
    print("| query | parameters | each PandaID once (ms) | jobs counted | without the rule (ms) | job rows counted |")
    print("|---|---|---:|---:|---:|---:|")
    rule = template.kept_before
    for name, label, params in _cases(timezone.now()):
        template.kept_before = rule
        once_ms, once = _timed(name, params, args.repeat)
        template.kept_before = lambda table, scope: []  # every table's rows, duplicates included
        plain_ms, plain = _timed(name, params, args.repeat)
        template.kept_before = rule
        print(f"| {name} | {label} | {once_ms:.0f} | {once:,} | {plain_ms:.0f} | {plain:,} |")


if __name__ == "__main__":
    main()
