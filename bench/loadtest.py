"""The load test: 50 concurrent clients for 60 s over a mix of API endpoints, against gunicorn
(2 sync workers, memcached as the cache) on the benchmark MariaDB (config/bench/mariadb.toml,
1,000,000 seeded jobs, only read), with memcached restarted once in the middle.

Half the clients are dashboards with an API token; the other half are anonymous, each with its
own address in X-Forwarded-For (server.num_proxies = 1, as behind nginx), so they are rate
limited at limits.anon_requests_per_minute each, their counts kept in memcached. Every client
sends its next request as soon as it has the answer to the last one.

Prints a Markdown summary: answers by status, 5xx (must be 0) with their paths, latency, the
answers' X-Cache around the memcached restart, and the RSS of each gunicorn worker at the
start, the middle and the end (workers are not recycled here: no max_requests).

    .venv/bin/python bench/loadtest.py [--clients 50] [--seconds 60] [--port 8501]

Needs /usr/bin/memcached (`make system-deps`) and the bench database seeded
(`PANDJANGO_CONFIG=config/bench/mariadb.toml manage.py pandadb seed --jobs 1000000`).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import BASE_CONFIG, PYTHON, ROOT, free_port, manage, proc_status_kib, require_tools, wait_for_port, worker_pids  # noqa: E402

FIRST_PANDAID = 6_400_000_000

# (weight, path): what dashboards and shifters ask for, the cheap and the heavy.
MIX = [
    (12, "/api/production/jobs/"),
    (6, "/api/production/jobs/?jobstatus=failed&hours={hours}"),
    (8, "/api/production/jobs/summary/"),
    (4, "/api/production/jobs/summary/?groupby=computingsite,jobstatus"),
    (4, "/api/production/jobs/facets/"),
    (4, "/api/production/errors/"),
    (6, "/api/production/jobs/{pandaid}/"),
    (6, "/api/production/jobs/status/?pandaid={pandaids}"),
    (3, "/api/production/tasks/"),
    (8, "/api/sites/"),
    (6, "/api/sites/clouds/"),
    (4, "/api/stats/jobs/?rows=cloud&cols=jobstatus"),
    (3, "/api/stats/timeseries/?metric=jobs_finished&bin=1h"),
    # Not /api/stats/sites/: on the million jobs its query runs past the statement timeout even
    # alone, a 503 "timeout" every time (docs/reliability.md).
    (4, "/api/autopilot/info/"),
    (3, "/api/autopilot/services/"),
    (3, "/api/search/?q={pandaid}"),
    (3, "/healthz"),
]

TOKEN_USER = """
import django
django.setup()
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
user, _ = User.objects.get_or_create(username="loadtest-dashboard")
token, _ = Token.objects.get_or_create(user=user)
print(token.key)
"""


@dataclass
class Tally:
    """What the clients saw; one lock for all."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    by_phase: dict[str, Counter[str]] = field(default_factory=dict)
    server_errors: list[tuple[float, int, str]] = field(default_factory=list)
    failures: list[tuple[float, str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def record(self, at: float, status: int, path: str, x_cache: str, phase: str, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_phase.setdefault(phase, Counter())[f"{status} {x_cache}"] += 1
            self.latencies.append(seconds)
            if status >= 500:
                self.server_errors.append((at, status, path))


class Clock:
    """The phase of the run a request falls in: before, during or after the memcached restart."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.phase = "before the restart"

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def load_config(directory: Path, memcached_port: int) -> Path:
    """config/bench/mariadb.toml with memcached as the cache, one proxy in front (for the
    anonymous clients' addresses), and the production defaults for everything else, the
    rate limit included."""
    lines, skipping = [], False
    for line in BASE_CONFIG.read_text().splitlines():
        if line.strip().startswith("["):
            skipping = line.strip().strip("[]").split(".")[0] in ("cache", "limits")
        if not skipping:
            lines.append(line)
            if line.strip() == "[server]":
                lines.append("num_proxies = 1")
    lines += ["", "[cache]", 'backend = "memcached"', f'servers = ["127.0.0.1:{memcached_port}"]']
    path = directory / "loadtest.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Memcached:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        as_root = ["-u", "root"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "256", "-t", "2", *as_root])
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def rss_mib(pid: int) -> float:
    return (proc_status_kib(pid, "VmRSS") or 0) / 1024


def warm_paths() -> list[str]:
    """The answers the clients share, as `manage.py cache warm` keeps them hot in production:
    every path of the mix without a random id, for each of its windows."""
    paths = []
    for _, template in MIX:
        if "{pandaid" not in template:
            paths += sorted({template.format(hours=hours) for hours in (6, 12, 24)})
    return paths


def fetch(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def path_of(rng: random.Random, paths: list[str], weights: list[int]) -> str:
    template = rng.choices(paths, weights)[0]
    pandaid = FIRST_PANDAID + rng.randrange(1_000_000)
    return template.format(
        hours=rng.choice((6, 12, 24)),
        pandaid=pandaid,
        pandaids=",".join(str(FIRST_PANDAID + rng.randrange(1_000_000)) for _ in range(rng.randint(1, 20))),
    )


def client(number: int, port: int, token: str, until: float, clock: Clock, tally: Tally) -> None:
    rng = random.Random(number)
    paths, weights = [p for _, p in MIX], [w for w, _ in MIX]
    headers = {"Authorization": f"Token {token}"} if number % 2 == 0 else {"X-Forwarded-For": f"198.51.100.{number}"}
    while time.monotonic() < until:
        path = path_of(rng, paths, weights)
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
        except OSError as exc:
            with tally.lock:
                tally.failures.append((clock.elapsed(), path, f"{type(exc).__name__}: {exc}"))
            time.sleep(0.1)
            continue
        tally.record(clock.elapsed(), response.status, path, response.getheader("X-Cache") or "-", clock.phase, time.monotonic() - started)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def report(args: argparse.Namespace, tally: Tally, rss: dict[str, dict[int, float]], restart: tuple[float, float]) -> str:
    total = sum(tally.statuses.values())
    lines = [
        f"{args.clients} clients for {args.seconds} s against gunicorn ({args.workers} workers, {args.threads} thread(s) each) on {os.cpu_count()} cores, "
        f"memcached killed at {restart[0]:.1f} s and back at {restart[1]:.1f} s",
        "",
        f"- requests answered: {total:,} ({total / args.seconds:,.0f}/s); connection failures: {len(tally.failures)}",
        f"- answers by status: {', '.join(f'{status}: {count:,}' for status, count in sorted(tally.statuses.items()))}",
        f"- 5xx answers: {len(tally.server_errors)}",
        f"- latency: p50 {percentile(tally.latencies, 50):.0f} ms, p95 {percentile(tally.latencies, 95):.0f} ms, "
        f"p99 {percentile(tally.latencies, 99):.0f} ms, max {max(tally.latencies, default=0) * 1000:.0f} ms",
        "",
        "| phase | answers (status X-Cache: count) |",
        "|---|---|",
    ]
    for phase, counts in tally.by_phase.items():
        lines.append(f"| {phase} | {', '.join(f'{key}: {n:,}' for key, n in counts.most_common(6))} |")
    lines += ["", "| worker | RSS at start | middle | end |", "|---|---:|---:|---:|"]
    for pid in rss["start"]:
        row = [f"{rss[moment].get(pid, float('nan')):.1f} MiB" for moment in ("start", "middle", "end")]
        lines.append(f"| {pid} | {' | '.join(row)} |")
    for at, status, path in tally.server_errors[:20]:
        lines.append(f"    5xx at {at:.1f} s: {status} {path}")
    for at, path, error in tally.failures[:20]:
        lines.append(f"    failed at {at:.1f} s: {path}: {error}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8501, help="gunicorn's port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync workers, more: gthread)")
    parser.add_argument("--down-seconds", type=float, default=3.0, help="how long memcached stays down")
    args = parser.parse_args()
    require_tools("memcached")

    work = Path(tempfile.mkdtemp(prefix="pandjango-loadtest-"))
    memcached = Memcached(free_port())
    env = {**os.environ, "PANDJANGO_CONFIG": str(load_config(work, memcached.port)), "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    gunicorn: subprocess.Popen[bytes] | None = None
    try:
        memcached.start()
        manage(env, "migrate", "-v0")
        token = manage(env, code=TOKEN_USER).strip()
        log = open(work / "gunicorn.log", "wb")
        gunicorn = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "pandjango.wsgi:application", "--workers", str(args.workers), "--bind", f"127.0.0.1:{args.port}",
             "--threads", str(args.threads), "--timeout", "120", "--forwarded-allow-ips", "127.0.0.1", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for_port(args.port)
        while len(worker_pids(gunicorn.pid)) < args.workers:
            time.sleep(0.1)
        workers = worker_pids(gunicorn.pid)
        warm = warm_paths()
        print(f"warming {len(warm)} answers...", file=sys.stderr)
        for path in warm:
            status = fetch(args.port, path, {"Authorization": f"Token {token}"})
            if status != 200:
                raise SystemExit(f"{path} answered {status} while warming")
        rss: dict[str, dict[int, float]] = {"start": {pid: rss_mib(pid) for pid in workers}}

        clock, tally = Clock(), Tally()
        until = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(n, args.port, token, until, clock, tally), daemon=True) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        print(f"{args.clients} clients for {args.seconds} s...", file=sys.stderr)
        time.sleep(args.seconds / 2)
        rss["middle"] = {pid: rss_mib(pid) for pid in workers}
        clock.phase = "memcached down"
        killed = clock.elapsed()
        memcached.stop()
        time.sleep(args.down_seconds)
        memcached.start()
        back = clock.elapsed()
        clock.phase = "after the restart"
        for thread in threads:
            thread.join()
        rss["end"] = {pid: rss_mib(pid) for pid in workers}
        if worker_pids(gunicorn.pid) != workers:
            print("WARNING: a worker was restarted during the run", file=sys.stderr)
        print(report(args, tally, rss, (killed, back)))
        print(f"\n(gunicorn's log: {work / 'gunicorn.log'})")
        if tally.server_errors:
            raise SystemExit(1)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        memcached.stop()


if __name__ == "__main__":
    main()
