"""The benchmark of `make bench`: Pandjango as in production (gunicorn with
config/gunicorn.conf.py, 2 sync workers, DEBUG off, whitenoise, memcached) on a MariaDB
database of ours, loaded by wrk, each endpoint uncached and cached.

1. The database: `pandjango_bench` (1,000,000 jobs over 3 days, pilots and tasks in
   proportion) or, with --small, `pandjango_bench_small` (50,000 jobs). It is created and
   seeded when it does not hold the requested volume of recent data, and reused otherwise
   (--reseed forces it). A seed by this script leaves a row in `pandjango_bench_seed`; a
   database seeded by hand is accepted when its job tables hold the requested number of
   jobs (within 2%) and the newest job is at most --max-age-hours old.
2. A memcached on a free port, and gunicorn on a free port from 8601 on, twice: first with
   the cache off (backend "none": every request runs its queries), then with memcached and
   lifetimes of an hour, every cached path warmed before it is measured.
3. For each case, --warmup seconds of wrk, then --seconds of wrk (cached: -c8; uncached: -c2,
   as many connections as workers, so that p50 is the time to answer, not time in a queue),
   in --rounds rounds, the trivial view /api/meta/ping/ (the floor) measured at the start of
   every round. Between two cases the requests wrk left in flight are waited for.
4. Requests/s, p50 and p99 latency (wrk), errors (non-2xx and socket errors), the peak RSS
   of the workers (VmRSS sampled every 0.1 s), and for the uncached cases the DB time per
   request (median of the db_ms of the request log's lines, pandjango/edge/requestlog.py). Then
   the jobs list with 10,000 rows (24 h), uncached and one request at a time: its latency
   and the growth of the workers' RSS.
5. A Markdown report: bench/results/latest.md (and the figures in bench/results/latest.json),
   printed at the end.

Production settings, except what a local benchmark needs: http (server.secure stays off,
it would redirect to https), the insecure development secret key of config/bench/mariadb.toml,
the anonymous rate limit off (wrk is one client), and gunicorn's max_requests off so that a
worker keeps its memory for the whole run (otherwise recycling every ~2,000 requests hides
growth and costs throughput in the middle of a case).

    make bench                    # 1,000,000 jobs, about 12 minutes
    make bench ARGS=--small       # 50,000 jobs, a quick run
    .venv/bin/python bench/run.py [--small] [--jobs N] [--seconds 5] [--rounds 2] [--reseed]

Needs /usr/bin/wrk and /usr/bin/memcached (`make system-deps`) and the local MariaDB
(root over TCP, as config/bench/mariadb.toml says).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, beside this script
import orjson
from harness import ROOT

RESULTS = ROOT / "bench" / "results"
FLOOR = "/api/meta/ping/"
SEED_TABLE = "pandjango_bench_seed"
JOB_TABLES = ("jobsactive4", "jobsdefined4", "jobswaiting4", "jobsarchived4")
LONG = 3600
BIG_LIST = "/api/production/jobs/?limit=10000&hours=24"

# (name, path template, endpoint, kind): kind "summary" is held to the summaries' goal.
CASES = [
    ("jobs list", "/api/production/jobs/?limit=100{w}", "production.jobs", "list"),
    ("job detail", "/api/production/jobs/{pandaid}/", "production.job", "detail"),
    ("jobs summary", "/api/production/jobs/summary/{q}", "production.summary", "summary"),
    ("errors summary", "/api/production/errors/{q}", "production.errors", "summary"),
    ("sites list", "/api/sites/", "sites.list", "list"),
    ("queue detail", "/api/sites/{nickname}/{q}", "sites.queue", "detail"),
    ("recent pilots", "/api/autopilot/pilots/{q}", "autopilot.pilots", "list"),
    ("queues by region", "/api/autopilot/queues/{q}", "autopilot.queues", "summary"),
    ("stats matrix", "/api/stats/jobs/?rows=cloud&cols=jobstatus{w}", "stats.jobs", "summary"),
    ("time series", "/api/stats/timeseries/?metric=jobs_finished&bin=1h{w}", "stats.timeseries", "summary"),
    ("facets", "/api/production/jobs/facets/?fields=jobstatus,computingsite,cloud,prodsourcelabel{w}", "production.facets", "summary"),
    ("per-queue efficiency", "/api/stats/sites/{q}", "stats.sites", "summary"),
    ("autopilot info", "/api/autopilot/info/{q}", "autopilot.info", "summary"),
]

# Every request asks as the clients that use the monitor do: browsers, python-requests (its
# default) and curl --compressed take gzip. The two largest answers are also asked by a client
# that takes none (wrk's own default): it gets them decompressed.
ACCEPT_ENCODING = {"Accept-Encoding": "gzip, deflate"}
PLAIN_CLIENT = "plain client"
PLAIN_CLIENT_CASES = ("jobs list", "errors summary")

GOAL_CACHED_SHARE = 0.70
GOAL_LIST_P50_MS = 50.0
GOAL_SUMMARY_P50_MS = 300.0
GOAL_BIG_LIST_MS = 1000.0
GOAL_BIG_LIST_RSS_MIB = 100.0
GOAL_JOBS = 1_000_000
BASE_JOBS = 1_000_000  # seeded by the generator; a larger volume is copies of it


@dataclass
class CaseResult:
    name: str
    path: str
    cached: bool
    kind: str
    rps: float = 0.0
    share: float = 0.0  # of the floor's requests/s, measured on the same server
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    errors: int = 0
    peak_rss_mib: float = 0.0
    rss_growth_mib: float = 0.0
    db_ms: float | None = None  # median over the request log's lines
    db_queries: float | None = None
    server_ms: float | None = None  # median duration_ms of the request log's lines
    x_cache: str = "-"
    plain: bool = False  # asked with no Accept-Encoding
    sent: str = "-"  # the answer's bytes as sent, and its Content-Encoding
    response_bytes: float | None = None  # per response as wrk read them, headers included
    from_log: bool = False  # too slow for wrk's run: latency and throughput from the request log
    load: list[float] = field(default_factory=list)  # 1-minute load average at each run's start
    rounds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Phase:
    cached: bool
    rss_start: dict[int, float] = field(default_factory=dict)
    rss_end: dict[int, float] = field(default_factory=dict)  # after the last case of the rounds
    rss_after_big: dict[int, float] = field(default_factory=dict)  # after the 10,000-row list (uncached)
    workers_replaced: bool = False
    server_5xx: int = 0


# ---------------------------------------------------------------------------- the database


def _db_settings(base: Path) -> dict[str, Any]:
    return dict(tomllib.loads(base.read_text())["databases"]["panda"])


def _connect(panda: dict[str, Any], database: str | None) -> Any:
    import MySQLdb

    kwargs: dict[str, Any] = {"host": panda.get("host", "127.0.0.1"), "port": int(panda.get("port", 3306)), "user": panda.get("user", "root")}
    if panda.get("password"):
        kwargs["password"] = panda["password"]
    if database:
        kwargs["database"] = database
    return MySQLdb.connect(**kwargs)


def database_state(panda: dict[str, Any], database: str) -> dict[str, Any]:
    """Jobs in the job tables, the newest job's modificationtime, and this script's seed
    record if there is one."""
    conn = _connect(panda, None)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (database,))
        tables = {row[0].lower() for row in cur.fetchall()}
        jobs, newest, record = 0, None, None
        for table in JOB_TABLES:
            if table in tables:
                cur.execute(f"SELECT COUNT(*), MAX(modificationtime) FROM `{database}`.`{table}`")
                count, latest = cur.fetchone()
                jobs += int(count)
                if latest is not None and (newest is None or latest > newest):
                    newest = latest
        if SEED_TABLE in tables:
            cur.execute(f"SELECT jobs, days, seeded_at FROM `{database}`.`{SEED_TABLE}` ORDER BY seeded_at DESC LIMIT 1")
            row = cur.fetchone()
            if row:
                record = {"jobs": int(row[0]), "days": int(row[1]), "seeded_at": row[2]}
        return {"jobs": jobs, "newest": newest, "record": record}
    finally:
        conn.close()


def reusable(state: dict[str, Any], jobs: int, max_age: timedelta, now: datetime) -> tuple[bool, str]:
    """Whether a database holds `jobs` jobs, the newest at most `max_age` old (UTC, naive)."""
    if state["jobs"] == 0 or state["newest"] is None:
        return False, "no jobs"
    expected = state["record"]["jobs"] if state["record"] else state["jobs"]
    if abs(expected - jobs) > 0.02 * jobs or abs(state["jobs"] - jobs) > 0.02 * jobs:
        return False, f"{state['jobs']:,} jobs, not {jobs:,}"
    age = now - state["newest"]
    if age > max_age:
        return False, f"the newest job is {age.total_seconds() / 3600:.1f} h old (more than {max_age.total_seconds() / 3600:g} h)"
    how = "seeded by bench/run.py" if state["record"] else "seeded before (no seed record: accepted by its count)"
    return True, f"{state['jobs']:,} jobs, the newest {age.total_seconds() / 3600:.1f} h old, {how}"


def seed_arguments(parser: argparse.ArgumentParser) -> None:
    """How a large volume is seeded: the options bench/rollups_bench.py shares."""
    parser.add_argument("--base-jobs", type=int, default=BASE_JOBS,
                        help=f"above this many jobs, seed this many and copy them in SQL (default {BASE_JOBS:,})")
    parser.add_argument("--base-from", metavar="DATABASE", default=None,
                        help="above --base-jobs, copy the base from this seeded database (read only) instead of seeding it")


def seed(env: dict[str, str], panda: dict[str, Any], database: str, jobs: int, days: int,
         base_jobs: int = BASE_JOBS, base_from: str | None = None) -> None:
    """The generator for up to `base_jobs` jobs (about 1 minute per 60,000). Above, a base
    of about `base_jobs` (the generator's, or a copy of `base_from`'s jobs) copied in SQL
    (`pandadb multiply`) as many times as `jobs` needs."""
    harness.manage(env, "pandadb", "createschema", "--drop")
    start = time.monotonic()
    if jobs <= base_jobs:
        print(f"seeding {database}: {jobs:,} jobs over {days} days (about 1 minute per 60,000 jobs)", file=sys.stderr)
        out = harness.manage(env, "pandadb", "seed", "--jobs", str(jobs), "--days", str(days))
    else:
        if base_from:
            base_jobs = database_state(panda, base_from)["jobs"]
        times = max(2, round(jobs / base_jobs))
        if not base_from:
            print(f"seeding {database}: {jobs // times:,} jobs over {days} days, then copied {times} times", file=sys.stderr)
            print(harness.manage(env, "pandadb", "seed", "--jobs", str(jobs // times), "--days", str(days)).strip(), file=sys.stderr)
        else:
            print(f"seeding {database}: the {base_jobs:,} jobs of {base_from} copied {times} times", file=sys.stderr)
        copy_from = ("--copy-from", base_from) if base_from else ()
        out = harness.manage(env, "pandadb", "multiply", "--times", str(times), *copy_from)
    print(out.strip(), file=sys.stderr)
    seconds = int(time.monotonic() - start)
    print(f"seeded {database} in {seconds} s, {database_size_gb(panda, database):.1f} GB", file=sys.stderr)
    conn = _connect(panda, database)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE IF NOT EXISTS `{SEED_TABLE}` (jobs INT NOT NULL, days INT NOT NULL, seeded_at DATETIME NOT NULL, seconds INT NOT NULL)")
        cur.execute(f"DELETE FROM `{SEED_TABLE}`")
        cur.execute(
            f"INSERT INTO `{SEED_TABLE}` (jobs, days, seeded_at, seconds) VALUES (%s, %s, %s, %s)",
            (database_state(panda, database)["jobs"], days, datetime.now(UTC).replace(tzinfo=None), seconds),
        )
        conn.commit()
    finally:
        conn.close()


def database_size_gb(panda: dict[str, Any], database: str) -> float:
    """Data and indexes, as InnoDB counts them (about the disk the database takes)."""
    conn = _connect(panda, None)
    try:
        cur = conn.cursor()
        cur.execute("SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = %s", (database,))
        return int(cur.fetchone()[0]) / 1e9
    finally:
        conn.close()


# ---------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    kind: str
    plain: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.plain else ACCEPT_ENCODING

    @property
    def label(self) -> str:
        return f"{self.name}, {PLAIN_CLIENT}" if self.plain else self.name


class Bench:
    def __init__(self, args: argparse.Namespace, port: int, log_path: Path, master: int) -> None:
        self.args = args
        self.port = port
        self.log = harness.LogReader(log_path)
        self.master = master

    def settle(self, path: str, sent: int, connections: int) -> list[dict[str, Any]]:
        """The request log's lines for `path` until the requests wrk left in flight are
        answered: `sent` completed plus one per connection, or a quiet log."""
        lines: list[dict[str, Any]] = []
        deadline = time.monotonic() + 120
        last = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            new = self.log.new_lines()
            if new:
                lines += new
                last = time.monotonic()
            if sum(1 for line in lines if harness.full_path(line) == path) >= sent + connections:
                break
            longest = max((float(line["duration_ms"]) for line in lines), default=0.0) / 1000
            if time.monotonic() - last > max(5.0, 1.5 * longest):
                break
        return lines

    def measure(self, case: Case, cached: bool, seconds: float, connections: int) -> dict[str, Any]:
        name, path = case.label, case.path
        if self.args.warmup > 0:
            warm = harness.run_wrk(self.port, path, self.args.warmup, connections, headers=case.headers)
            self.settle(path, warm.requests, connections)
        self.log.skip()
        load = os.getloadavg()[0]
        with harness.MemorySampler(self.master) as memory:
            result = harness.run_wrk(self.port, path, seconds, connections, headers=case.headers)
            lines = self.settle(path, result.requests, connections)
        mine = [line for line in lines if harness.full_path(line) == path]
        from_log = False
        if result.requests < 5 and len(mine) >= 1:
            # Slower than wrk's run allows to count: the server's own times, from the request
            # log, and the throughput of `connections` clients each waiting that long.
            durations = sorted(float(line["duration_ms"]) for line in mine)
            result.p50_ms = statistics.median(durations)
            result.p99_ms = durations[min(len(durations) - 1, round(0.99 * (len(durations) - 1)))]
            result.rps = connections * 1000 / statistics.mean(durations)
            result.requests = len(mine)
            from_log = True
        others = [line for line in lines if harness.full_path(line) != path]
        if others:
            print(f"  note: {len(others)} other requests in the log during {name}", file=sys.stderr)
        shown = f"{result.p50_ms:.1f}" if result.p50_ms is not None else "-"
        print(f"  {name:<22} {'cached' if cached else 'uncached':<8} {result.rps:9.1f} req/s  p50 {shown} ms  errors {result.errors}", file=sys.stderr)
        return {
            "response_bytes": result.read_bytes / result.requests if result.requests and not from_log else None,
            "rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "requests": result.requests,
            "errors": result.errors, "peak_rss_mib": memory.peak_mib, "rss_growth_mib": memory.growth_mib,
            "replaced": memory.replaced, "load": load, "from_log": from_log,
            "db_ms": [float(line["db_ms"]) for line in mine], "db_queries": [int(line["db_queries"]) for line in mine],
            "server_ms": [float(line["duration_ms"]) for line in mine],
            "server_5xx": sum(1 for line in lines if int(line["status"]) >= 500),
        }


def combine(result: CaseResult, runs: list[dict[str, Any]], floors: list[dict[str, Any]]) -> CaseResult:
    """Medians over the rounds; the share is the median of each round's ratio to its floor."""
    def median(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None

    result.rps = statistics.median(r["rps"] for r in runs)
    result.share = statistics.median(r["rps"] / f["rps"] if f["rps"] else 0.0 for r, f in zip(runs, floors, strict=True))
    result.p50_ms = median([r["p50_ms"] for r in runs])
    result.p99_ms = median([r["p99_ms"] for r in runs])
    result.requests = sum(r["requests"] for r in runs)
    result.errors = sum(r["errors"] for r in runs)
    result.peak_rss_mib = max(r["peak_rss_mib"] for r in runs)
    result.rss_growth_mib = max(r["rss_growth_mib"] for r in runs)
    db = [v for r in runs for v in r["db_ms"]]
    queries = [v for r in runs for v in r["db_queries"]]
    server = [v for r in runs for v in r["server_ms"]]
    result.db_ms = statistics.median(db) if db else None
    result.db_queries = statistics.median(queries) if queries else None
    result.server_ms = statistics.median(server) if server else None
    result.load = [r["load"] for r in runs]
    result.response_bytes = median([r.get("response_bytes") for r in runs])
    result.from_log = any(r.get("from_log") for r in runs)
    result.rounds = [{k: r[k] for k in ("rps", "p50_ms", "p99_ms", "requests", "errors", "peak_rss_mib", "load")} for r in runs]
    return result


def discover(port: int) -> dict[str, str]:
    """A job and a queue that exist, for the detail cases."""
    def first(path: str, key: str) -> str:
        status, _, body, _ = harness.fetch(port, path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        rows = orjson.loads(body)["data"]
        if not rows:
            raise SystemExit(f"{path} answered no rows: is the database seeded?")
        return str(rows[0][key])

    return {"pandaid": first("/api/production/jobs/?limit=1&hours=72", "pandaid"), "nickname": first("/api/sites/?limit=1", "nickname")}


def phase_cases(ids: dict[str, str], hours: int | None, cached: bool) -> list[Case]:
    """The cases of a phase; the cached one asks the largest answers as a plain client too
    (uncached, nothing is compressed: both clients get the same bytes)."""
    window = f"hours={hours}" if hours else ""
    cases = []
    for name, template, _, kind in CASES:
        path = template.format(w=f"&{window}" if window else "", q=f"?{window}" if window else "", **ids)
        cases.append(Case(name, path, kind))
        if cached and name in PLAIN_CLIENT_CASES:
            cases.append(Case(name, path, kind, plain=True))
    return cases


def run_phase(args: argparse.Namespace, cached: bool, env: dict[str, str], work: Path, memcached_port: int,
              ids: dict[str, str] | None, hours: int | None) -> tuple[list[CaseResult], Phase, dict[str, str]]:
    cache = harness.memcached_cache(memcached_port, LONG, [c[2] for c in CASES]) if cached else harness.NO_CACHE
    config = harness.bench_config(work / ("cached.toml" if cached else "uncached.toml"), cache, args.database)
    env = {**env, "PANDJANGO_CONFIG": str(config)}
    port = harness.free_port(args.port_from)
    log_path = work / ("gunicorn-cached.log" if cached else "gunicorn-uncached.log")
    phase = Phase(cached)
    connections = args.connections if cached else args.uncached_connections
    with log_path.open("ab") as log:
        server = harness.start_gunicorn(env, port, log, args.workers, extra=["--max-requests", "0"])
    try:
        print(f"gunicorn ({'memcached' if cached else 'no cache'}) on port {port}", file=sys.stderr)
        if ids is None:
            ids = discover(port)
        cases = phase_cases(ids, hours, cached)
        for case in cases:
            for _ in range(2):  # the second is a HIT when cached
                fetched = harness.fetch(port, case.path, headers=case.headers)
            if fetched.status != 200:
                raise SystemExit(f"{case.path} answered {fetched.status}: {fetched.body[:300]!r}")
            if cached and fetched.x_cache != "HIT":
                raise SystemExit(f"{case.path} is not a HIT after warming (X-Cache {fetched.x_cache})")
        bench = Bench(args, port, log_path, server.pid)
        bench.log.skip()
        phase.rss_start = {pid: (harness.proc_status_kib(pid, "VmRSS") or 0) / 1024 for pid in harness.worker_pids(server.pid)}
        floor = Case("floor, the trivial JSON view", FLOOR, "floor")
        floors: list[dict[str, Any]] = []
        runs: dict[Case, list[dict[str, Any]]] = {case: [] for case in cases}
        for number in range(1, args.rounds + 1):
            print(f"round {number} of {args.rounds}, {'cached' if cached else 'uncached'}", file=sys.stderr)
            floors.append(bench.measure(floor, cached, args.seconds, connections))
            for case in cases:
                runs[case].append(bench.measure(case, cached, args.seconds, connections))
        results = [answered(port, floor, combine(CaseResult(floor.name, FLOOR, cached, "floor"), floors, floors))]
        for case in cases:
            results.append(answered(port, case, combine(CaseResult(case.label, case.path, cached, case.kind, plain=case.plain), runs[case], floors)))
        phase.rss_end = {pid: (harness.proc_status_kib(pid, "VmRSS") or 0) / 1024 for pid in harness.worker_pids(server.pid)}
        if not cached:
            print("the 10,000-row jobs list, one request at a time", file=sys.stderr)
            big = Case("jobs list, 10,000 rows (24 h)", BIG_LIST, "big")
            results.append(combine(CaseResult(big.name, BIG_LIST, cached, "big"), [bench.measure(big, cached, args.seconds * args.rounds, 1)], [floors[-1]]))
        phase.server_5xx = sum(r["server_5xx"] for rounds in runs.values() for r in rounds) + sum(f["server_5xx"] for f in floors)
        phase.rss_after_big = {pid: (harness.proc_status_kib(pid, "VmRSS") or 0) / 1024 for pid in harness.worker_pids(server.pid)}
        phase.workers_replaced = set(phase.rss_end) != set(phase.rss_start)
        return results, phase, ids
    finally:
        harness.stop(server)


def answered(port: int, case: Case, result: CaseResult) -> CaseResult:
    """`result` with what one more request of the case gets: its X-Cache, and the answer's
    bytes as sent with their Content-Encoding (the gzip, for a client that takes it)."""
    fetched = harness.fetch(port, case.path, headers=case.headers)
    result.x_cache = fetched.x_cache
    result.sent = f"{len(fetched.body):,} {fetched.content_encoding}"
    return result


# ---------------------------------------------------------------------------- the report


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_share(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.2g}%"


def fmt_bytes(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def table(results: list[CaseResult]) -> str:
    rows = [
        "| case | cache | requests/s | of the floor | p50 ms | p99 ms | errors (requests) | peak worker RSS MiB | DB ms per request (queries) "
        "| answer as sent | bytes per response (wrk) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cache = "memcached" if r.cached else "off"
        if r.cached and r.x_cache not in ("", "-"):
            cache += f" ({r.x_cache})"
        db = "-" if r.cached or r.db_ms is None else f"{fmt_ms(r.db_ms)} ({r.db_queries:g})"
        mark = " \\*" if r.from_log else ""
        rows.append(
            f"| {r.name} `{r.path}`{mark} | {cache} | {r.rps:,.1f} | {fmt_share(r.share)} | {fmt_ms(r.p50_ms)} | {fmt_ms(r.p99_ms)} "
            f"| {r.errors} ({r.requests:,}) | {r.peak_rss_mib:.0f} | {db} | {r.sent} | {fmt_bytes(r.response_bytes)} |"
        )
    return "\n".join(rows)


def _by_how_much(value: float, goal: float, lower_is_better: bool = True) -> str:
    if lower_is_better:
        return f"{value / goal:.1f}x the goal" if value > goal else "met"
    return f"{100 * (goal - value):.0f} points short" if value < goal else "met"


def goals(results: list[CaseResult], phases: list[Phase], jobs: int) -> list[str]:
    """One line per goal: the figures and whether each is met."""
    lines = []
    # Judged as the clients that use the monitor ask (gzip); the plain client's share beside.
    cached = [r for r in results if r.cached and r.kind != "floor" and not r.plain]
    plain = {(r.path, r.kind): r for r in results if r.cached and r.plain}

    def share(r: CaseResult) -> str:
        other = plain.get((r.path, r.kind))
        return f"{r.name} {fmt_share(r.share)}" + (f" ({PLAIN_CLIENT} {fmt_share(other.share)})" if other else "")

    missed = [r for r in cached if r.share < GOAL_CACHED_SHARE]
    lines.append(
        f"- **Cached endpoints at >= {GOAL_CACHED_SHARE:.0%} of the floor's throughput** (clients that take gzip): "
        + ("met by all" if not missed else f"{len(cached) - len(missed)} of {len(cached)} met; missed by ")
        + ", ".join(share(r) for r in missed)
        + f" (all: {', '.join(share(r) for r in cached)})."
    )
    scale = "" if jobs >= GOAL_JOBS else f" (measured at {jobs:,} jobs; the goal is for {GOAL_JOBS:,})"
    uncached = {r.name: r for r in results if not r.cached}
    jobs_list = uncached.get("jobs list")
    if jobs_list and jobs_list.p50_ms is not None:
        lines.append(
            f"- **Uncached jobs list p50 <= {GOAL_LIST_P50_MS:.0f} ms**{scale}: {fmt_ms(jobs_list.p50_ms)} ms, "
            f"{_by_how_much(jobs_list.p50_ms, GOAL_LIST_P50_MS)}; DB {fmt_ms(jobs_list.db_ms)} ms of it."
        )
    summaries = [r for r in uncached.values() if r.kind == "summary"]
    if summaries:
        parts = []
        for r in summaries:
            if r.p50_ms is None:
                parts.append(f"{r.name}: no request completed")
                continue
            verdict = _by_how_much(r.p50_ms, GOAL_SUMMARY_P50_MS)
            parts.append(f"{r.name} {fmt_ms(r.p50_ms)} ms ({verdict}; DB {fmt_ms(r.db_ms)} ms)")
        lines.append(f"- **Uncached summaries p50 <= {GOAL_SUMMARY_P50_MS:.0f} ms**{scale}: " + "; ".join(parts) + ".")
    big = next((r for r in results if r.kind == "big"), None)
    if big and big.p50_ms is not None:
        worst = max(big.p99_ms or 0.0, big.p50_ms)
        lines.append(
            f"- **10,000-row jobs list in <= {GOAL_BIG_LIST_MS:.0f} ms, worker RSS growth <= {GOAL_BIG_LIST_RSS_MIB:.0f} MB**: "
            f"p50 {fmt_ms(big.p50_ms)} ms, p99 {fmt_ms(big.p99_ms)} ms ({_by_how_much(worst, GOAL_BIG_LIST_MS)}), "
            f"DB {fmt_ms(big.db_ms)} ms; RSS growth {big.rss_growth_mib:.0f} MiB "
            f"({'met' if big.rss_growth_mib <= GOAL_BIG_LIST_RSS_MIB else 'missed'})."
        )
    errors = sum(r.errors for r in results)
    server_5xx = sum(p.server_5xx for p in phases)
    flat = []
    for phase in phases:
        pairs = [f"{phase.rss_start[pid]:.0f} -> {phase.rss_end.get(pid, float('nan')):.0f}" for pid in sorted(phase.rss_start)]
        growth = max((phase.rss_end.get(pid, 0.0) - phase.rss_start[pid] for pid in phase.rss_start), default=0.0)
        replaced = ", a worker was replaced" if phase.workers_replaced else ""
        big_after = ""
        if not phase.cached and phase.rss_after_big:
            big_after = f", then {', '.join(f'{mib:.0f}' for _, mib in sorted(phase.rss_after_big.items()))} MiB after the 10,000-row lists"
        flat.append(
            f"{'cached' if phase.cached else 'uncached'} server: workers {', '.join(pairs)} MiB (largest rise {growth:.0f} MiB{replaced}){big_after}"
        )
    lines.append(
        f"- **Zero errors and flat memory**: {errors} errors seen by wrk, {server_5xx} 5xx in the request log "
        f"({'met' if errors == 0 and server_5xx == 0 else 'missed'}); RSS from the first case to the last: " + "; ".join(flat) + "."
    )
    return lines


def report(meta: dict[str, Any], results: list[CaseResult], phases: list[Phase]) -> str:
    loads = [v for r in results for v in r.load]
    head = [
        "# Benchmark: `make bench`",
        "",
        f"Run {meta['finished']} on {meta['host']} ({meta['cores']} cores, Python {meta['python']}), "
        f"1-minute load average {min(loads, default=0):.1f} to {max(loads, default=0):.1f} during the cases "
        "(the machine is shared: other work runs beside the benchmark).",
        "",
        f"- Database: MariaDB `{meta['database']}`, {meta['jobs_in_db']:,} jobs ({meta['db_note']}); "
        f"windows: {meta['windows']}" + (f"; {meta['rollups']} (the summaries answer from them)" if meta.get("rollups") else "") + ".",
        f"- Server: gunicorn, config/gunicorn.conf.py, {meta['workers']} sync workers, max_requests off; "
        "DEBUG off, whitenoise, http, anonymous rate limit off.",
        f"- Load: wrk -t2, {meta['seconds']} s per case after {meta['warmup']} s of warm-up, {meta['rounds']} round(s), "
        f"the floor measured at the start of each round; cached -c{meta['connections']} "
        f"(memcached, every request a HIT), uncached -c{meta['uncached_connections']} (cache backend \"none\"). "
        f"Every request asks with `Accept-Encoding: {ACCEPT_ENCODING['Accept-Encoding']}`, as browsers, python-requests and "
        f"curl --compressed do, but the {PLAIN_CLIENT} rows (none: the answer decompressed). "
        "Figures are medians over the rounds; \"of the floor\" is the median of each round's ratio to the floor "
        "measured on the same server with the same connections.",
        "- \\* too slow for wrk to complete 5 requests in a run: p50, p99 and requests from the request log's duration_ms "
        "(the server's time), requests/s as connections / mean duration.",
        "- DB ms: the median of the request log's db_ms (all queries of a request), with the median number of queries.",
        "- Answer as sent: the body's bytes and Content-Encoding of one more request of the case; bytes per response: what "
        "wrk read over the run (headers included) per response.",
        "",
        table(results),
        "",
        "## Goals",
        "",
        *goals(results, phases, meta["jobs_in_db"]),
        "",
    ]
    return "\n".join(head)


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="50,000 jobs in pandjango_bench_small: a quick run")
    parser.add_argument("--jobs", type=int, default=None, help="jobs to seed (default 1,000,000; 50,000 with --small)")
    parser.add_argument("--days", type=int, default=3, help="days the seeded jobs span")
    parser.add_argument("--database", default=None, help="MariaDB database (default pandjango_bench, pandjango_bench_small with --small)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the database holds the requested volume")
    parser.add_argument("--max-age-hours", type=float, default=6, help="reseed when the newest job is older than this")
    seed_arguments(parser)
    parser.add_argument("--hours", type=int, default=None, help="window of the windowed cases (default: their own; 24 h when the data is over 2 h old)")
    parser.add_argument("--seconds", type=int, default=None, help="wrk seconds per case and round, whole (default 5; 3 with --small)")
    parser.add_argument("--warmup", type=int, default=1, help="wrk seconds of warm-up before each case, whole")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 2; 1 with --small)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for the cached cases")
    parser.add_argument("--uncached-connections", type=int, default=2, help="wrk connections for the uncached cases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port-from", type=int, default=8601, help="gunicorn listens on the first free port from here")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args()
    args.jobs = args.jobs or (50_000 if args.small else 1_000_000)
    args.database = args.database or ("pandjango_bench_small" if args.small else "pandjango_bench")
    args.seconds = args.seconds or (3 if args.small else 5)
    args.rounds = args.rounds or (1 if args.small else 2)
    harness.require_tools("memcached", "wrk")
    # Stopped by a signal, the servers it started are stopped too (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="pandjango-bench-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    env["PANDJANGO_CONFIG"] = str(harness.bench_config(work / "seed.toml", harness.NO_CACHE, args.database))
    panda = _db_settings(harness.BASE_CONFIG)
    now = datetime.now(UTC).replace(tzinfo=None)
    state = database_state(panda, args.database)
    ok, why = reusable(state, args.jobs, timedelta(hours=args.max_age_hours), now)
    if args.reseed or not ok:
        print(f"{args.database}: {'--reseed' if args.reseed else why}", file=sys.stderr)
        seed(env, panda, args.database, args.jobs, args.days, args.base_jobs, args.base_from)
        state = database_state(panda, args.database)
        ok, why = reusable(state, args.jobs, timedelta(hours=args.max_age_hours), datetime.now(UTC).replace(tzinfo=None))
    print(f"{args.database}: {why}", file=sys.stderr)
    age_hours = (datetime.now(UTC).replace(tzinfo=None) - state["newest"]).total_seconds() / 3600
    hours = args.hours if args.hours is not None else (24 if age_hours > 2 else None)
    harness.manage(env, "migrate", "-v0")
    # The summaries answer from rollups when they are fresh (docs/rollups.md): built here, as a
    # deployment's refresher keeps them; bench/rollups_bench.py compares both paths.
    rollups = harness.manage(env, "pandadb", "rollup", "--backfill").strip().splitlines()[-1]
    # Then the refresher every minute for the length of the run, as a deployment runs it: the
    # active jobs' snapshot is read for at most rollups.active_max_lag_seconds (180 s).
    with (work / "rollups.log").open("ab") as refresher_log:
        refresher = subprocess.Popen([harness.PYTHON, "manage.py", "pandadb", "rollup", "--loop", "60"],
                                     cwd=ROOT, env=env, stdout=refresher_log, stderr=subprocess.STDOUT)
    memcached_port = harness.free_port()
    memcached = harness.start_memcached(memcached_port)
    try:
        uncached, phase_u, ids = run_phase(args, False, env, work, memcached_port, None, hours)
        cached, phase_c, _ = run_phase(args, True, env, work, memcached_port, ids, hours)
    finally:
        harness.stop(memcached)
        harness.stop(refresher)

    ordered: list[CaseResult] = []
    for u in uncached:
        ordered.append(u)
        ordered += [c for c in cached if c.path == u.path]
    meta = {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node() or "this machine",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "database": args.database,
        "jobs_in_db": state["jobs"],
        "db_note": f"the newest {age_hours:.1f} h old at the start",
        "windows": f"hours={hours} on the windowed cases" if hours else "each endpoint's default (12 h; time series 24 h)",
        "workers": args.workers,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "connections": args.connections,
        "uncached_connections": args.uncached_connections,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "rollups": rollups,
    }
    text = report(meta, ordered, [phase_u, phase_c])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    figures = {"meta": meta, "results": [asdict(r) for r in ordered], "phases": [asdict(p) for p in (phase_u, phase_c)]}
    args.out.with_suffix(".json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    print(text)
    print(f"(written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}; "
          f"gunicorn's logs in {work}; {meta['minutes']} minutes)")


if __name__ == "__main__":
    main()
