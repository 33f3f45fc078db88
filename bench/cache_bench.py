"""The caching benchmark: gunicorn (2 sync workers) and a real memcached, against the seeded
MariaDB of config/bench/mariadb.toml, loaded with wrk.

For the jobs list and the jobs summary, cached (anonymous, every request a HIT) and uncached
(staff with refresh=1: the query, the rendering and the store on every request), beside
/api/meta/ping/, a trivial JSON view served by the same gunicorn in the same run. Prints a
Markdown table: requests per second, p50 and p99 latency, and the share of ping's throughput.

The trivial view and the cached cases are measured in interleaved rounds (ping, jobs,
summary, ping, jobs, ...) and each figure is the median over the rounds, the share the median
of each round's own ratio: on a shared machine the load drifts, and a drift then hits every
case alike. The uncached cases are slow; each runs once, for longer.

    .venv/bin/python bench/cache_bench.py [--rounds 5] [--seconds 6] [--uncached-seconds 20]

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
from dataclasses import dataclass
from pathlib import Path

import harness  # bench/harness.py, beside this script
from harness import manage

LONG = 3600  # the cached runs must stay HIT for the whole measurement

CASES = [
    # (label, path, uncached)
    ("trivial JSON view (/api/meta/ping/)", "/api/meta/ping/", False),
    ("jobs list, cached", "/api/production/jobs/", False),
    ("jobs list, uncached", "/api/production/jobs/?refresh=1", True),
    ("jobs summary, cached", "/api/production/jobs/summary/", False),
    ("jobs summary, uncached", "/api/production/jobs/summary/?refresh=1", True),
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


def bench_config(directory: Path, memcached_port: int) -> Path:
    """config/bench/mariadb.toml with its [cache] table replaced (memcached, long lifetimes),
    and the rate limit of anonymous clients off: wrk is one client asking thousands of times."""
    cache = [
        "[cache]",
        'backend = "memcached"',
        f'servers = ["127.0.0.1:{memcached_port}"]',
        "[cache.lifetimes]",
        f'"production.jobs" = {LONG}',
        f'"production.summary" = {LONG}',
    ]
    return harness.bench_config(directory / "bench.toml", cache)


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


def wrk(port: int, label: str, path: str, seconds: int, connections: int, cookie: str) -> Result:
    out = harness.run_wrk(port, path, seconds, connections, cookie=cookie)
    return Result(label, path, out.rps, out.p50_ms or 0.0, out.p99_ms or 0.0, out.requests, out.errors, "")


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
    )


def table(results: list[Result]) -> str:
    rows = [
        "| what | path | requests/s | p50 ms | p99 ms | of the trivial view | X-Cache | requests (errors) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        share = f"{100 * r.share:.0f}%" if r.share >= 0.1 else f"{100 * r.share:.2g}%"
        rows.append(f"| {r.label} | `{r.path}` | {r.rps:,.1f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {share} | {r.x_cache} | {r.requests:,} ({r.errors}) |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the trivial view and the cached cases")
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration of each case in a round")
    parser.add_argument("--uncached-seconds", type=int, default=20, help="wrk duration of each uncached case")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--port", type=int, default=8201, help="gunicorn's port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--app", default="pandjango.wsgi:application", help="the WSGI application gunicorn serves")
    args = parser.parse_args()
    harness.require_tools("memcached", "wrk")

    work = Path(tempfile.mkdtemp(prefix="pandjango-bench-"))
    memcached_port = harness.free_port()
    env = {**os.environ, "PANDJANGO_CONFIG": str(bench_config(work, memcached_port)), "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(harness.start_memcached(memcached_port))
        manage(env, "migrate", "-v0")
        cookie = "sessionid=" + manage(env, code=STAFF_SESSION).strip()
        log = open(work / "gunicorn.log", "wb")
        processes.append(harness.start_gunicorn(env, args.port, log, args.workers, args.app, production_conf=False, extra=["--timeout", "120"]))
        states = {}
        for _, path, uncached in CASES:
            session = cookie if uncached else ""
            harness.fetch(args.port, path, session)  # warms the cached cases, and the workers
            status, states[path], _ = harness.fetch(args.port, path, session)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        fast = [(label, path) for label, path, uncached in CASES if not uncached]
        runs: dict[str, list[Result]] = {path: [] for _, path in fast}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}: {len(fast)} x {args.seconds} s of wrk", file=sys.stderr)
            for label, path in fast:
                runs[path].append(wrk(args.port, label, path, args.seconds, args.connections, ""))
        floors = runs[fast[0][1]]
        results = {path: median_of(runs[path], floors) for _, path in fast}
        floor_rps = statistics.median(f.rps for f in floors)
        for label, path, uncached in CASES:
            if uncached:
                print(f"{label}: {args.uncached_seconds} s of wrk", file=sys.stderr)
                result = wrk(args.port, label, path, args.uncached_seconds, args.connections, cookie)
                result.share = result.rps / floor_rps
                results[path] = result
        for path, result in results.items():
            result.x_cache = states[path]
        print(
            f"gunicorn {args.workers} sync workers, wrk -t2 -c{args.connections}, {args.rounds} interleaved rounds of {args.seconds} s "
            f"(uncached: one run of {args.uncached_seconds} s), memcached 1 server, {os.cpu_count()} cores\n"
        )
        print(table([results[path] for _, path, _ in CASES]))
        print(f"\n(gunicorn's log: {work / 'gunicorn.log'})")
    finally:
        for process in reversed(processes):
            harness.stop(process)


if __name__ == "__main__":
    main()
