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
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BASE_CONFIG = ROOT / "config" / "bench" / "mariadb.toml"
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


def bench_config(directory: Path, memcached_port: int) -> Path:
    """config/bench/mariadb.toml with its [cache] table replaced (memcached, long lifetimes),
    and the rate limit of anonymous clients off: wrk is one client asking thousands of times."""
    lines, table = [], ""
    for line in BASE_CONFIG.read_text().splitlines():
        if line.strip().startswith("["):
            table = line.strip()
            if table == "[limits]":
                lines += [line, "anon_requests_per_minute = 0"]
                continue
        if table == "[cache]" or table.startswith("[cache."):
            continue
        if table == "[limits]" and line.split("=")[0].strip() == "anon_requests_per_minute":
            continue
        lines.append(line)
    if "[limits]" not in lines:
        lines += ["", "[limits]", "anon_requests_per_minute = 0"]
    lines += [
        "",
        "[cache]",
        'backend = "memcached"',
        f'servers = ["127.0.0.1:{memcached_port}"]',
        "[cache.lifetimes]",
        f'"production.jobs" = {LONG}',
        f'"production.summary" = {LONG}',
    ]
    path = directory / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def manage(env: dict[str, str], *args: str, code: str | None = None) -> str:
    command = [PYTHON, "manage.py", *args] if code is None else [PYTHON, "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr}")
    return done.stdout


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


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status, response.headers.get("X-Cache", "-")


def wrk(port: int, label: str, path: str, seconds: int, connections: int, cookie: str) -> Result:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Result(label, path, rps, latency(out, "50%"), latency(out, "99%"), requests, errors, "")


def latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\b", out, re.M).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


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
    for tool in ("memcached", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make system-deps)")

    work = Path(tempfile.mkdtemp(prefix="pandjango-bench-"))
    memcached_port = free_port()
    env = {**os.environ, "PANDJANGO_CONFIG": str(bench_config(work, memcached_port)), "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        as_root = ["-u", "root"] if os.geteuid() == 0 else []
        processes.append(subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0", "-m", "256", "-t", "2", *as_root]))
        wait_for_port(memcached_port)
        manage(env, "migrate", "-v0")
        cookie = "sessionid=" + manage(env, code=STAFF_SESSION).strip()
        log = open(work / "gunicorn.log", "wb")
        processes.append(subprocess.Popen(
            [PYTHON, "-m", "gunicorn", args.app, "--workers", str(args.workers), "--bind", f"127.0.0.1:{args.port}", "--timeout", "120"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        ))
        wait_for_port(args.port)
        states = {}
        for _, path, uncached in CASES:
            session = cookie if uncached else ""
            fetch(args.port, path, session)  # warms the cached cases, and the workers
            status, states[path] = fetch(args.port, path, session)
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
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
