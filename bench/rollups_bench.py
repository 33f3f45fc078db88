"""The summaries from rollups and read directly, and the refresher's cost, on a MariaDB
database of ours: `make bench-rollups` (docs/benchmarks.md, docs/rollups.md).

1. The database as bench/run.py keeps it (pandjango_bench, 1,000,000 jobs over 3 days;
   seeded when it does not hold them, reused otherwise), or --database/--jobs.
2. Our database: a SQLite file of this run (migrated), so the rollups start empty.
3. The refresher: a backfill (every hour since the horizon), then a run with nothing new (the
   hours of the overlap recomputed, the day counts compared): the time of each, and the
   share of it the active jobs' snapshot took; the same two runs of the worker rollups.
4. Each summary, in this process through Django's test client (no HTTP, no cache: the time
   to compute the answer): a refresher run of the jobs and the workers (so that the snapshot
   is fresh), then --requests times from rollups with the snapshot, --requests times from rollups with the active
   tables read live (the snapshot not used), and --requests times with rollups.enabled off;
   the median and the slowest, and meta.source/meta.active_source (meta.live_source for the
   autopilot's: the live workers' snapshot is stale with the active jobs') of each answer.
5. A Markdown report: bench/results/rollups.md (printed too), with the load average (1 min)
   before and after the measurements.

    .venv/bin/python bench/rollups_bench.py [--database D] [--jobs N] [--requests 7] [--reseed | --reuse-only] [--only TEXT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, beside this script
import orjson
import run as full  # bench/run.py: the database it seeds and reuses
from harness import ROOT

LIMIT_SECONDS = 900
CASES = [
    ("jobs summary, by jobstatus (12 h)", "/api/production/jobs/summary/"),
    ("jobs summary, by queue and state (12 h)", "/api/production/jobs/summary/?groupby=computingsite,jobstatus"),
    ("jobs summary, by jobstatus (48 h)", "/api/production/jobs/summary/?hours=48"),
    ("stats matrix, cloud x jobstatus (12 h)", "/api/stats/jobs/"),
    ("errors summary (12 h)", "/api/production/errors/"),
    ("facets of 4 rolled-up fields (12 h)", "/api/production/jobs/facets/?fields=jobstatus,computingsite,cloud,prodsourcelabel"),
    ("time series, jobs finished per hour (24 h)", "/api/stats/timeseries/?metric=jobs_finished&bin=1h"),
    ("time series, jobs finished per 5 minutes (24 h)", "/api/stats/timeseries/?metric=jobs_finished&bin=5m"),
    ("time series, jobs failed per hour by queue (24 h)", "/api/stats/timeseries/?metric=jobs_failed&bin=1h&groupby=computingsite"),
    ("per-queue efficiency (12 h)", "/api/stats/sites/"),
    ("autopilot queues by region (12 h)", "/api/autopilot/queues/"),
    ("autopilot queues by region, cloud US (12 h)", "/api/autopilot/queues/?cloud=US"),
    ("autopilot queues by region (48 h)", "/api/autopilot/queues/?hours=48"),
    ("autopilot info (12 h)", "/api/autopilot/info/"),
    ("autopilot submission hosts (12 h)", "/api/autopilot/submithosts/"),
    ("autopilot services (12 h)", "/api/autopilot/services/"),
    ("autopilot pilot types (12 h)", "/api/autopilot/pilottypes/"),
    ("autopilot recent pilots, a list (12 h)", "/api/autopilot/pilots/"),
]


def _config(work: Path, database: str) -> Path:
    path = harness.bench_config(work / "rollups.toml", harness.NO_CACHE, database)
    lines = path.read_text().splitlines()
    table = ""
    for i, line in enumerate(lines):
        if line.strip().startswith("["):
            table = line.strip()
        elif table == "[databases.default]" and line.split("=")[0].strip() == "name":
            lines[i] = f'name = "{work / "default.sqlite3"}"'
        elif table == "[limits]" and line.split("=")[0].strip() == "anon_requests_per_minute":
            # the time an answer takes, however long: on a large volume the direct path
            # takes longer than the API's 20 s
            lines[i] = f"{line}\nrequest_seconds = {LIMIT_SECONDS}\nstatement_timeout_ms = {LIMIT_SECONDS * 1000}"
    path.write_text("\n".join(lines) + "\n")
    return path


def _prepare(args: argparse.Namespace, env: dict[str, str]) -> str:
    panda = full._db_settings(harness.BASE_CONFIG)
    state = full.database_state(panda, args.database)
    ok, why = full.reusable(state, args.jobs, timedelta(hours=args.max_age_hours), datetime.now(UTC).replace(tzinfo=None))
    if not ok and args.reuse_only:
        raise SystemExit(f"{args.database}: {why}; --reuse-only: not seeding it")
    if args.read_only and (args.reseed or not ok):
        raise SystemExit(f"{args.database}: {'--reseed' if args.reseed else why}; --read-only: not seeded")
    if args.reseed or not ok:
        print(f"{args.database}: {'--reseed' if args.reseed else why}", file=sys.stderr)
        full.seed(env, panda, args.database, args.jobs, args.days, args.base_jobs, args.base_from)
        state = full.database_state(panda, args.database)
        ok, why = full.reusable(state, args.jobs, timedelta(hours=args.max_age_hours), datetime.now(UTC).replace(tzinfo=None))
    harness.manage(env, "migrate", "-v0")
    return why


def _inflow(panda: dict[str, Any], database: str, jobs: int) -> int:
    """`jobs` new final jobs in JOBSARCHIVED4, as a minute of a PanDA this size writes them:
    copies of its most recent rows, with new PandaIDs and modified (and ended) now."""
    from pandjango.pandadb.models import JobsArchived4
    from pandjango.pandadb.schema import columns_of

    now = {"modificationtime", "statechangetime", "endtime"}
    names = columns_of(JobsArchived4)
    select = ", ".join(
        "@pandaid := @pandaid + 1" if c == "pandaid" else "UTC_TIMESTAMP()" if c in now else f"`{c}`" for c in names
    )
    conn = full._connect(panda, database)
    try:
        cur = conn.cursor()
        cur.execute("SELECT GREATEST(" + ", ".join(f"(SELECT COALESCE(MAX(pandaid), 0) FROM `{t}`)" for t in full.JOB_TABLES) + ") INTO @pandaid")
        cur.execute(
            f"INSERT INTO jobsarchived4 ({', '.join(f'`{c}`' for c in names)}) SELECT {select} FROM "
            f"(SELECT * FROM jobsarchived4 ORDER BY modificationtime DESC LIMIT {int(jobs)}) AS recent"
        )
        conn.commit()
        return int(cur.rowcount)
    finally:
        conn.close()


def _under_inflow(panda: dict[str, Any], database: str, per_minute: int, runs: int) -> list[tuple[int, float, float, float, int]]:
    """A minute of new jobs, then a refresher run, `runs` times: the jobs added, the run's
    seconds, its lag (how old fresh_as_of, the run's start, is when it ends), the active
    jobs' snapshot's seconds of it and the hour buckets it recomputed."""
    from pandjango.rollups import reading, refresh

    out = []
    for _ in range(runs):
        added = _inflow(panda, database, per_minute)
        result = refresh.run()
        mark = reading.fresh_as_of()
        assert mark is not None
        out.append((added, result.seconds, (datetime.now(UTC) - mark).total_seconds(), result.snapshot_seconds, result.buckets))
        print(f"inflow: {added:,} jobs, refresher {result.seconds:.2f} s (snapshot {result.snapshot_seconds:.2f} s, "
              f"{result.buckets} hours), lag {out[-1][2]:.1f} s", file=sys.stderr)
    return out


def _inflow_line(inflow: list[tuple[int, float, float, float, int]], per_minute: int, days: int) -> str:
    if not inflow:
        return "Under inflow: not measured (--inflow-runs 0)."
    seconds, lags, snapshots = [r[1] for r in inflow], [r[2] for r in inflow], [r[3] for r in inflow]
    return (
        f"Under inflow ({per_minute:,} new jobs a minute, the seeded rate over {days} days, each time copies of the most "
        f"recent rows of JOBSARCHIVED4 modified now, then one refresher run; {len(inflow)} times): the run "
        f"{statistics.median(seconds):.2f} s median (max {max(seconds):.2f}) per minute of new data, the active jobs' snapshot "
        f"{statistics.median(snapshots):.2f} s of it, {statistics.median([r[4] for r in inflow]):g} hour buckets recomputed; the lag "
        f"(fresh_as_of's age when the run ends) {statistics.median(lags):.1f} s median (max {max(lags):.1f})."
    )


def _growth(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Each summary's median at two volumes, from rollups and direct, and how much it grew."""
    small, large = sorted((before, after), key=lambda f: f["jobs"])
    rows = []
    for name, at_large in large["medians"].items():
        at_small = small["medians"].get(name)
        if at_small:
            rows.append(
                f"| {name} | {at_small['rollups']:,.0f} ms | {at_large['rollups']:,.0f} ms | {at_large['rollups'] / at_small['rollups']:.1f}x "
                f"| {at_small['direct']:,.0f} ms | {at_large['direct']:,.0f} ms | {at_large['direct'] / at_small['direct']:.1f}x |"
            )
    a, b = f"{small['jobs']:,}", f"{large['jobs']:,}"
    return [
        f"## From {a} to {b} jobs ({small['database']}, {large['database']}: {large['jobs'] / small['jobs']:.1f} times the jobs)",
        "",
        f"| summary | from rollups, {a} | from rollups, {b} | growth | direct, {a} | direct, {b} | growth |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _timed(client: Any, path: str, requests: int) -> tuple[list[float], set[str]]:
    times: list[float] = []
    sources: set[str] = set()
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        meta = orjson.loads(response.content)["meta"]
        sources.add("/".join(filter(None, (meta.get("source", "-"), meta.get("active_source"), meta.get("live_source")))))
    return times, sources


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):,.0f} ms (max {max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="pandjango_bench")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--reuse-only", action="store_true", help="never seed: exit when the database cannot be reused (one being seeded, or another's)")
    parser.add_argument("--max-age-hours", type=float, default=6)
    full.seed_arguments(parser)
    parser.add_argument("--requests", type=int, default=7, help="requests per case and path")
    parser.add_argument("--inflow-runs", type=int, default=3,
                        help="runs of the refresher after a minute's worth of new jobs each (written to the database: 0 for one not ours)")
    parser.add_argument("--direct-requests", type=int, default=0, help="requests per case on the direct path (default --requests)")
    parser.add_argument("--read-only", action="store_true",
                        help="never write to the database (someone else's): no seed, no inflow; stop if it does not hold the volume")
    parser.add_argument("--cases", default="", help="only the cases whose names start with one of these (separated by |)")
    parser.add_argument("--no-live", dest="live", action="store_false",
                        help="skip the path from rollups with the active tables read live (as slow as the direct one on a large volume)")
    parser.add_argument("--compare", type=Path, default=None, metavar="JSON",
                        help="the figures of an earlier run (its rollups.json) at another volume: a table of each summary's growth")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rollups.md")
    parser.add_argument("--only", default="", help="only the cases whose name holds one of these texts, a|b (e.g. 'time series|per-queue')")
    args = parser.parse_args()
    if args.read_only:
        args.inflow_runs = 0

    work = Path(tempfile.mkdtemp(prefix="pandjango-rollups-bench-"))
    config = _config(work, args.database)
    os.environ["PANDJANGO_CONFIG"] = str(config)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pandjango.settings")
    why = _prepare(args, {**os.environ})
    print(f"{args.database}: {why}", file=sys.stderr)

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from pandjango.rollups import refresh, workers
    from pandjango.rollups.models import END_ROLLUPS, ROLLUPS, SNAPSHOT_OF, LiveWorkerCount, WorkerCount

    backfill = refresh.run(backfill=True, progress=lambda line: print(line, file=sys.stderr))
    again = refresh.run()
    jobs = full.database_state(full._db_settings(harness.BASE_CONFIG), args.database)["jobs"]
    per_minute = round(jobs / (args.days * 1440))
    inflow = _under_inflow(full._db_settings(harness.BASE_CONFIG), args.database, per_minute, args.inflow_runs)
    workers_backfill = workers.run(backfill=True, progress=lambda line: print(line, file=sys.stderr))
    workers_again = workers.run()
    groups = {model.__name__: model._default_manager.count() for model in (*ROLLUPS, *END_ROLLUPS, *SNAPSHOT_OF.values(), WorkerCount, LiveWorkerCount)}

    client = Client(SERVER_NAME="localhost")
    config = settings.PANDJANGO["rollups"]
    snapshot_lag = config["active_max_lag_seconds"]
    load_before = os.getloadavg()[0]
    rows = []
    medians: dict[str, dict[str, float]] = {}
    runs: list[refresh.RunResult] = []
    chosen = [(n, p) for n, p in CASES if any(text in n for text in args.only.split("|"))]
    for name, path in [(n, p) for n, p in chosen if not args.cases or any(n.startswith(c) for c in args.cases.split("|"))]:
        runs.append(refresh.run())  # the snapshot fresh for this case
        workers.run()  # and the worker rollups, as the refresher's run does
        config.update(enabled=True, active_max_lag_seconds=snapshot_lag)
        rolled, rolled_sources = _timed(client, path, args.requests)
        config.update(active_max_lag_seconds=1e-9)  # the snapshot too old: the active tables read live
        live, live_sources = _timed(client, path, args.requests) if args.live else ([], {"not measured"})
        config.update(enabled=False, active_max_lag_seconds=snapshot_lag)
        direct, _ = _timed(client, path, args.direct_requests or args.requests)
        speedup = statistics.median(direct) / statistics.median(rolled)
        medians[name] = {"rollups": statistics.median(rolled), "direct": statistics.median(direct)}
        rows.append(
            f"| {name} | {', '.join(sorted(rolled_sources))} | {_ms(rolled)} | {', '.join(sorted(live_sources))} | {_ms(live)} "
            f"| {_ms(direct)} | {speedup:.1f}x |"
        )
        print(rows[-1], file=sys.stderr)
    load_after = os.getloadavg()[0]
    run_seconds = [r.seconds for r in runs]
    snapshot_seconds = [r.snapshot_seconds for r in runs]

    figures = {"database": args.database, "jobs": jobs, "medians": medians}
    text = "\n".join([
        f"# Summaries from rollups and direct ({args.database}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Database: {why}. {os.cpu_count()} cores, load average (1 min) {load_before:.2f} before the requests, "
        f"{load_after:.2f} after. In-process (Django's test client, no HTTP, no cache), "
        f"{args.requests} requests per case and path ({args.direct_requests or args.requests} direct), one at a time: "
        "the median and the slowest.",
        "",
        f"Refresher: backfill {backfill.seconds:.1f} s ({backfill.buckets} hour buckets; the active jobs' snapshot "
        f"{backfill.snapshot_seconds:.2f} s of it); a run with nothing new {again.seconds:.2f} s ({again.buckets} hour buckets "
        f"recomputed, the day counts compared; the snapshot {again.snapshot_seconds:.2f} s of it); the run before each case "
        f"{statistics.median(run_seconds):.2f} s median (max {max(run_seconds):.2f}), the snapshot "
        f"{statistics.median(snapshot_seconds):.2f} s of it (max {max(snapshot_seconds):.2f}). "
        f"Rows: {', '.join(f'{k} {v:,}' for k, v in groups.items())}.",
        "",
        _inflow_line(inflow, per_minute, args.days),
        "",
        f"Worker rollups: backfill {workers_backfill.seconds:.1f} s ({workers_backfill.buckets} hour buckets; the live workers' "
        f"snapshot {workers_backfill.snapshot_seconds:.2f} s of it); a run with nothing new {workers_again.seconds:.2f} s "
        f"({workers_again.buckets} hour buckets recomputed, the day counts compared; the snapshot {workers_again.snapshot_seconds:.2f} s of it).",
        "",
        "| summary | source (rollups, snapshot fresh) | from rollups with the snapshot | source (snapshot not used) "
        "| from rollups, active tables live | direct | direct / rollups with the snapshot |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        *(_growth(orjson.loads(args.compare.read_bytes()), figures) if args.compare else []),
    ])
    args.out.with_suffix(".json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
