"""One anonymous client sending the costliest requests it can for 60 s, while a second
anonymous client sends cheap ones: what the cheap client sees, and how far the attacker gets.

gunicorn with config/gunicorn.conf.py (2 sync workers), memcached, the production limits
(an allowance of 600 a minute per anonymous client, spent by what requests cost), behind one
proxy (server.num_proxies = 1, each client its own X-Forwarded-For), on an SQLite PanDA
database of ours seeded once (100,000 jobs over 30 days) and kept in var/attack/ for the next
run. The attacker runs several requests side by side, never waits for Retry-After, and asks
for long windows, many facets and group-by columns, a new `hours` each time so that the cache
never has its answer. Not part of make test.

    .venv/bin/python bench/attack.py          # --seconds 60 --attackers 4 --jobs 100000
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

HOME = harness.ROOT / "var" / "attack"

CONFIG = """\
[server]
debug = false
insecure_dev_secret_key = true
allowed_hosts = ["127.0.0.1", "localhost"]
num_proxies = 1

[databases.default]
engine = "sqlite"
name = "{home}/default.sqlite3"

[databases.panda]
engine = "sqlite"
name = "{home}/panda.sqlite3"
ours = true

[cache]
backend = "memcached"
servers = ["127.0.0.1:{memcached}"]
"""

FACETS = "jobstatus,produsername,prodsourcelabel,transformation,computingsite,cloud,processingtype,jobsubstatus,workinggroup,gshare,resource_type,nucleus"
GROUPS = "jobstatus,computingsite,cloud,prodsourcelabel,produsername,processingtype,jeditaskid"


def costly_paths() -> itertools.cycle[str]:
    """The attacker's requests; {h} becomes a window that changes at each request."""
    return itertools.cycle([
        "/api/production/jobs/facets/?hours={h}&fields=" + FACETS,
        "/api/production/jobs/summary/?hours={h}&groupby=" + GROUPS,
        "/api/production/jobs/?hours={h}&limit=10000",
        "/api/production/errors/?hours={h}",
        "/api/stats/jobs/?hours={h}&rows=computingsite&cols=jobstatus",
        "/jobs/?json&hours={h}&limit=10000",
    ])


CHEAP_PATHS = ["/api/production/jobs/", "/api/sites/clouds/", "/healthz", "/api/production/jobs/summary/"]


@dataclass
class Seen:
    times: list[float] = field(default_factory=list)
    slow: list[tuple[float, str]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    largest: int = 0
    largest_path: str = ""
    slowest: float = 0.0
    slowest_path: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, status: int, seconds: float, size: int) -> None:
        with self.lock:
            self.times.append(seconds)
            if seconds > 0.5:
                self.slow.append((seconds, path))
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if size > self.largest:
                self.largest, self.largest_path = size, path
            if seconds > self.slowest:
                self.slowest, self.slowest_path = seconds, path


def request(port: int, path: str, address: str, seen: Seen) -> None:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"X-Forwarded-For": address})
        response = connection.getresponse()
        size = len(response.read())
        status = response.status
    except (OSError, http.client.HTTPException):
        status, size = 0, 0  # a dropped connection
    finally:
        connection.close()
    seen.record(path, status, time.monotonic() - started, size)


def attacker(port: int, until: float, paths: itertools.cycle[str], hours: itertools.count[int], seen: Seen) -> None:
    while time.monotonic() < until:
        request(port, next(paths).format(h=720 - next(hours) % 600), "203.0.113.66", seen)


def cheap_client(port: int, until: float, seen: Seen) -> None:
    for path in itertools.cycle(CHEAP_PATHS):
        if time.monotonic() >= until:
            return
        request(port, path, "198.51.100.7", seen)
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def prepare(env: dict[str, str], jobs: int) -> None:
    if (HOME / "panda.sqlite3").exists():
        return
    print(f"seeding {jobs} jobs over 30 days in {HOME} (once)", flush=True)
    harness.manage(env, "migrate", "--noinput")
    harness.manage(env, "pandadb", "createschema", "--drop")
    harness.manage(env, "pandadb", "seed", "--jobs", str(jobs), "--days", "30")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--attackers", type=int, default=4, help="the attacker's requests side by side")
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    harness.require_tools("memcached")
    HOME.mkdir(parents=True, exist_ok=True)
    memcached_port, port = harness.free_port(), harness.free_port()
    config = HOME / "attack.toml"
    config.write_text(CONFIG.format(home=HOME, memcached=memcached_port))
    env = {**os.environ, "PANDJANGO_CONFIG": str(config), "DJANGO_SETTINGS_MODULE": "pandjango.settings"}
    prepare(env, args.jobs)
    memcached = harness.start_memcached(memcached_port)
    with (HOME / "gunicorn.log").open("wb") as log:
        server = harness.start_gunicorn(env, port, log, workers=2)
        try:
            for path in CHEAP_PATHS:  # warm, as `manage.py cache warm` keeps them
                harness.fetch(port, path)
            cheap, attack = Seen(), Seen()
            until = time.monotonic() + args.seconds
            paths, hours = costly_paths(), itertools.count()
            threads = [threading.Thread(target=cheap_client, args=(port, until, cheap))]
            threads += [threading.Thread(target=attacker, args=(port, until, paths, hours, attack)) for _ in range(args.attackers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            harness.stop(server)
            harness.stop(memcached)
    killed = (HOME / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
    print(f"{args.seconds:g} s, {args.attackers} attacking requests side by side, 2 sync workers")
    print(f"cheap client: {len(cheap.times)} requests, statuses {cheap.statuses}, "
          f"p50 {percentile(cheap.times, 0.5) * 1000:.0f} ms, p99 {percentile(cheap.times, 0.99) * 1000:.0f} ms, max {cheap.slowest * 1000:.0f} ms")
    print(f"attacker: {len(attack.times)} requests, statuses {attack.statuses}, "
          f"worst {attack.slowest:.2f} s ({attack.slowest_path}), largest answer {attack.largest / 1e6:.2f} MB ({attack.largest_path})")
    print("cheap requests over 0.5 s:", ", ".join(f"{path} {seconds:.2f} s" for seconds, path in cheap.slow) or "none")
    print(f"workers killed by gunicorn's timeout: {killed}")


if __name__ == "__main__":
    main()
