"""The caching benchmark: gunicorn (2 sync workers) and a real memcached, against the seeded
MariaDB of config/bench/mariadb.toml (or --config, --database), loaded with wrk.

For the jobs list, the jobs summary, the errors summary and the time series, cached (anonymous,
every request a HIT), each asked as it is and with Accept-Encoding: gzip, deflate (the stored
gzip sent as it is), and
the first two uncached (staff with refresh=1: the query, the rendering and the store on every
request), beside /api/meta/ping/, a trivial JSON view served by the same gunicorn in the same
run. Prints a Markdown table: requests per second, p50 and p99 latency, the bytes of the
answer as sent, and the share of ping's throughput.

The trivial view and the cached cases are measured in interleaved rounds (ping, jobs,
summary, ping, jobs, ...) and each figure is the median over the rounds, the share the median
of each round's own ratio: on a shared machine the load drifts, and a drift then hits every
case alike. The uncached cases are slow; each runs once, for longer.

    .venv/bin/python bench/cache_bench.py [--rounds 5] [--seconds 6] [--uncached-seconds 20]
        [--config config/bench/mariadb.toml] [--database pandjango_bench] [--no-uncached]

Needs /usr/bin/memcached and /usr/bin/wrk (`make system-deps`), and the bench database
seeded (`PANDJANGO_CONFIG=config/bench/mariadb.toml manage.py pandadb seed --jobs 1000000`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import harness  # bench/harness.py, beside this script
from harness import manage

LONG = 3600  # the cached runs must stay HIT for the whole measurement

GZIP = "gzip, deflate"  # as browsers, python-requests and curl --compressed ask


TIME_SERIES = "/api/stats/timeseries/?metric=jobs_finished&bin=1h"


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    uncached: bool = False
    encoding: str = ""  # the Accept-Encoding asked with, if any

    @property
    def name(self) -> str:
        return f"{self.path} {self.encoding}"


CASES = [
    Case("trivial JSON view (/api/meta/ping/)", "/api/meta/ping/"),
    Case("jobs list, cached", "/api/production/jobs/"),
    Case("jobs list, cached, gzip", "/api/production/jobs/", encoding=GZIP),
    Case("jobs list, uncached", "/api/production/jobs/?refresh=1", uncached=True),
    Case("jobs summary, cached", "/api/production/jobs/summary/"),
    Case("jobs summary, cached, gzip", "/api/production/jobs/summary/", encoding=GZIP),
    Case("jobs summary, uncached", "/api/production/jobs/summary/?refresh=1", uncached=True),
    Case("errors summary, cached", "/api/production/errors/"),
    Case("errors summary, cached, gzip", "/api/production/errors/", encoding=GZIP),
    Case("time series, cached", TIME_SERIES),
    Case("time series, cached, gzip", TIME_SERIES, encoding=GZIP),
]


@dataclass
class Result:
    label: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    x_cache: str
    share: float = 0.0  # of the trivial view's requests per second
    sent: str = ""  # the answer's bytes as sent, and its Content-Encoding
    cpu_us: float = 0.0  # CPU time of the gunicorn workers and memcached per request


def bench_config(directory: Path, memcached_port: int, base: Path, database: str | None) -> Path:
    """`base` (config/bench/mariadb.toml) with its [cache] table replaced (memcached, long
    lifetimes), the rate limit of anonymous clients off (wrk is one client asking thousands of
    times), and the PanDA database renamed to `database` when given."""
    cache = [
        "[cache]",
        'backend = "memcached"',
        f'servers = ["127.0.0.1:{memcached_port}"]',
        "[cache.lifetimes]",
        f'"production.jobs" = {LONG}',
        f'"production.summary" = {LONG}',
        f'"production.errors" = {LONG}',
        f'"stats.timeseries" = {LONG}',
    ]
    path = harness.bench_config(directory / "bench.toml", cache, database, base)
    # The first request of each cached case computes its answer: on a loaded machine the errors
    # summary takes longer than the production limits allow (a 503 would end the run).
    limits = "anon_requests_per_minute = 0\n"
    path.write_text(path.read_text().replace(limits, f"{limits}request_seconds = {LONG}\nstatement_timeout_ms = {LONG * 1000}\n", 1))
    return path


STAFF_SESSION = """
import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client
user, _ = User.objects.get_or_create(username="bench-staff")
user.is_staff = True
user.save()
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""


def headers_of(case: Case, cookie: str) -> dict[str, str]:
    headers = {"Cookie": cookie} if case.uncached else {}
    if case.encoding:
        headers["Accept-Encoding"] = case.encoding
    return headers


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used (/proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(port: int, case: Case, seconds: int, connections: int, cookie: str, servers: list[int]) -> Result:
    """One wrk run of the case, with the CPU time the servers (`servers`: the gunicorn workers
    and memcached) spent per request: unlike requests per second, it hardly moves with the
    load other work puts on a shared machine."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    for name, value in headers_of(case, cookie).items():
        command += ["-H", f"{name}: {value}"]
    cpu = cpu_seconds(servers)
    out = harness.parse_wrk(subprocess.run([*command, f"http://127.0.0.1:{port}{case.path}"], capture_output=True, text=True, check=True).stdout)
    cpu_us = 1e6 * (cpu_seconds(servers) - cpu) / max(out.requests, 1)
    return Result(case.label, case.path, out.rps, out.p50_ms or 0.0, out.p99_ms or 0.0, out.requests, out.errors, "", cpu_us=cpu_us)


def fetch(port: int, case: Case, cookie: str) -> tuple[int, str, str]:
    """(status, X-Cache, the bytes sent and their coding) of one GET of the case, as wrk asks it."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{case.path}", headers=headers_of(case, cookie))
    with urllib.request.urlopen(request, timeout=300) as response:  # urllib never decompresses
        body = response.read()
        return response.status, response.headers.get("X-Cache", "-"), f"{len(body):,} {response.headers.get('Content-Encoding', 'identity')}"


def median_of(runs: list[Result], floors: list[Result]) -> Result:
    """One case over the rounds: medians, and the median of its ratio to the trivial view
    measured in the same round."""
    first = runs[0]
    return Result(
        first.label,
        first.path,
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
        first.x_cache,
        statistics.median(r.rps / f.rps for r, f in zip(runs, floors, strict=True)),
        cpu_us=statistics.median(r.cpu_us for r in runs),
    )


def table(results: list[Result]) -> str:
    rows = [
        "| what | path | requests/s | p50 ms | p99 ms | of the trivial view | X-Cache | bytes sent | CPU us per request | requests (errors) |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        share = f"{100 * r.share:.0f}%" if r.share >= 0.1 else f"{100 * r.share:.2g}%"
        figures = f"{r.rps:,.1f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {share}"
        rows.append(f"| {r.label} | `{r.path}` | {figures} | {r.x_cache} | {r.sent} | {r.cpu_us:,.0f} | {r.requests:,} ({r.errors}) |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the trivial view and the cached cases")
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration of each case in a round")
    parser.add_argument("--uncached-seconds", type=int, default=20, help="wrk duration of each uncached case")
    parser.add_argument("--no-uncached", action="store_true", help="the cached cases only")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--port", type=int, default=8201, help="gunicorn's port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--app", default="pandjango.wsgi:application", help="the WSGI application gunicorn serves")
    parser.add_argument("--config", type=Path, default=harness.BASE_CONFIG, help="the configuration its [cache] is replaced in")
    parser.add_argument("--database", help="the PanDA database's name instead of the configuration's")
    args = parser.parse_args()
    harness.require_tools("memcached", "wrk")
    cases = [case for case in CASES if not (case.uncached and args.no_uncached)]

    work = Path(tempfile.mkdtemp(prefix="pandjango-bench-"))
    memcached_port = harness.free_port()
    config = bench_config(work, memcached_port, args.config.resolve(), args.database)
    env = {**os.environ, "PANDJANGO_CONFIG": str(config), "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(harness.start_memcached(memcached_port))
        manage(env, "migrate", "-v0")
        cookie = "sessionid=" + manage(env, code=STAFF_SESSION).strip()
        log = open(work / "gunicorn.log", "wb")
        processes.append(harness.start_gunicorn(env, args.port, log, args.workers, args.app, production_conf=False, extra=["--timeout", "300"]))
        servers = [processes[0].pid, *harness.worker_pids(processes[1].pid)]
        states = {}
        for case in cases:
            fetch(args.port, case, cookie)  # warms the cached cases, and the workers
            status, x_cache, sent = states[case.name] = fetch(args.port, case, cookie)
            if status != 200:
                raise SystemExit(f"{case.path} answered {status}")
        fast = [case for case in cases if not case.uncached]
        runs: dict[str, list[Result]] = {case.name: [] for case in fast}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}: {len(fast)} x {args.seconds} s of wrk", file=sys.stderr)
            for case in fast:
                runs[case.name].append(wrk(args.port, case, args.seconds, args.connections, "", servers))
        floors = runs[fast[0].name]
        results = {case.name: median_of(runs[case.name], floors) for case in fast}
        floor_rps = statistics.median(f.rps for f in floors)
        for case in cases:
            if case.uncached:
                print(f"{case.label}: {args.uncached_seconds} s of wrk", file=sys.stderr)
                result = wrk(args.port, case, args.uncached_seconds, args.connections, cookie, servers)
                result.share = result.rps / floor_rps
                results[case.name] = result
        for name, result in results.items():
            _, result.x_cache, result.sent = states[name]
        print(
            f"gunicorn {args.workers} sync workers, wrk -t2 -c{args.connections}, {args.rounds} interleaved rounds of {args.seconds} s "
            f"(uncached: one run of {args.uncached_seconds} s), memcached 1 server, {os.cpu_count()} cores, "
            f"database {args.database or args.config}\n"
        )
        print(table([results[case.name] for case in cases]))
        print(f"\n(gunicorn's log: {work / 'gunicorn.log'})")
    finally:
        for process in reversed(processes):
            harness.stop(process)


if __name__ == "__main__":
    main()
