"""What the benchmarks share: free ports, memcached and gunicorn started and stopped, the
benchmark configuration written from config/bench/mariadb.toml, wrk run and its output
parsed, the gunicorn workers' memory sampled, and the request log read back.

Used by bench/run.py (`make bench`), bench/cache_bench.py, bench/loadtest.py and bench/attack.py;
no state of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BASE_CONFIG = ROOT / "config" / "bench" / "mariadb.toml"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


# ---------------------------------------------------------------------------- ports, tools


def free_port(start: int | None = None) -> int:
    """A port nothing listens on: the first free one from `start` on, else any the kernel
    gives."""
    if start is not None:
        for port in range(start, start + 200):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the process meant to listen on port {port} exited ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


def require_tools(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make system-deps)")


def manage(env: dict[str, str], *args: str, code: str | None = None) -> str:
    command = [PYTHON, "manage.py", *args] if code is None else [PYTHON, "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr}")
    return done.stdout


def stop(process: subprocess.Popen[bytes] | None, seconds: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# ---------------------------------------------------------------------------- configuration


def bench_config(
    path: Path,
    cache: list[str],
    database: str | None = None,
    base: Path = BASE_CONFIG,
) -> Path:
    """`base` with its [cache] tables replaced by `cache` (lines of TOML, "[cache]" first),
    the anonymous rate limit off (wrk is one client asking thousands of times), and the PanDA
    database renamed to `database` when given."""
    lines: list[str] = []
    table = ""
    for line in base.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped
            if table == "[limits]":
                lines += [line, "anon_requests_per_minute = 0"]
                continue
        if table == "[cache]" or table.startswith("[cache."):
            continue
        key = line.split("=")[0].strip()
        if table == "[limits]" and key == "anon_requests_per_minute":
            continue
        if database and table == "[databases.panda]" and key == "name":
            line = f'name = "{database}"'
        lines.append(line)
    if "[limits]" not in lines:
        lines += ["", "[limits]", "anon_requests_per_minute = 0"]
    lines += ["", *cache]
    path.write_text("\n".join(lines) + "\n")
    return path


def memcached_cache(port: int, lifetime: int, endpoints: Iterable[str] = ()) -> list[str]:
    """A [cache] on one memcached, every endpoint's lifetime `lifetime` seconds."""
    lines = ["[cache]", 'backend = "memcached"', f'servers = ["127.0.0.1:{port}"]', f"default = {lifetime}"]
    names = list(endpoints)
    if names:
        lines += ["[cache.lifetimes]", *(f'"{name}" = {lifetime}' for name in names)]
    return lines


NO_CACHE = ["[cache]", 'backend = "none"']


# ---------------------------------------------------------------------------- servers


def start_memcached(port: int, megabytes: int = 256) -> subprocess.Popen[bytes]:
    as_root = ["-u", "root"] if os.geteuid() == 0 else []
    process = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", str(megabytes), "-t", "2", *as_root])
    wait_for_port(port, process=process)
    return process


def start_gunicorn(
    env: dict[str, str],
    port: int,
    log: IO[bytes],
    workers: int = 2,
    app: str = "pandjango.wsgi:application",
    production_conf: bool = True,
    extra: Iterable[str] = (),
) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1:`port`, its stderr (gunicorn's lines and the request log) into
    `log`. With `production_conf`, config/gunicorn.conf.py as in production."""
    command = [PYTHON, "-m", "gunicorn"]
    if production_conf:
        command += ["-c", str(GUNICORN_CONF)]
    command += [app, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", *extra]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**env, "PANDJANGO_WORKERS": str(workers), "PANDJANGO_BIND": f"127.0.0.1:{port}"},
        stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for_port(port, 60, process=process)
    return process


class Fetched(NamedTuple):
    status: int
    x_cache: str
    body: bytes  # as sent: urllib never decompresses
    content_encoding: str


def fetch(port: int, path: str, cookie: str = "", timeout: float = 120, headers: Mapping[str, str] | None = None) -> Fetched:
    """One GET, with the request `headers` given."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Fetched(response.status, response.headers.get("X-Cache", "-"), response.read(), response.headers.get("Content-Encoding", "identity"))
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.headers.get("X-Cache", "-"), exc.read(), exc.headers.get("Content-Encoding", "identity"))


# ---------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int
    seconds: float
    read_bytes: float = 0.0  # responses, headers included, as wrk counts them


def run_wrk(
    port: int, path: str, seconds: float, connections: int, threads: int = 2, cookie: str = "", timeout_s: int = 60,
    headers: Mapping[str, str] | None = None,
) -> WrkResult:
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{timeout_s}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> WrkResult:
    """wrk --latency's output: requests/s, p50, p99 (None without a completed request),
    requests, errors (non-2xx/3xx answers and socket errors, timeouts included)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB|TB) read", out)
    if rps is None or done is None:
        raise ValueError(f"not wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    requests = int(done.group(1))
    seconds = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    p50 = wrk_latency(out, "50%") if requests else None
    p99 = wrk_latency(out, "99%") if requests else None
    read = float(done.group(4)) * 1024 ** ["B", "KB", "MB", "GB", "TB"].index(done.group(5))  # wrk's units are binary
    return WrkResult(float(rps.group(1)), p50, p99, requests, errors, seconds, read)


def wrk_latency(out: str, percentile: str) -> float | None:
    found = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
    if found is None:
        return None
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[found.group(2)]


# ---------------------------------------------------------------------------- worker memory


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return sorted(int(pid) for pid in out.split())


def proc_status_kib(pid: int, field_name: str) -> int | None:
    """VmRSS, VmHWM, ... of a process in KiB; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


@dataclass
class MemorySampler:
    """Samples VmRSS of the gunicorn workers every `interval` seconds in a thread, for a
    `with` block: the workers' RSS before, their peak during, their RSS after (MiB), and
    whether a worker was replaced meanwhile."""

    master: int
    interval: float = 0.1
    before: dict[int, float] = field(default_factory=dict)
    peak: dict[int, float] = field(default_factory=dict)
    after: dict[int, float] = field(default_factory=dict)
    replaced: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> dict[int, float]:
        sizes = {}
        for pid in worker_pids(self.master):
            kib = proc_status_kib(pid, "VmRSS")
            if kib is not None:
                sizes[pid] = kib / 1024
        return sizes

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for pid, mib in self._sample().items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), mib)

    def __enter__(self) -> MemorySampler:
        self.before = self._sample()
        self.peak = dict(self.before)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.after = self._sample()
        for pid, mib in self.after.items():
            self.peak[pid] = max(self.peak.get(pid, 0.0), mib)
        self.replaced = set(self.after) != set(self.before)

    @property
    def peak_mib(self) -> float:
        return max(self.peak.values(), default=0.0)

    @property
    def growth_mib(self) -> float:
        """The largest rise of one worker's RSS over its own RSS before."""
        return max((self.peak[pid] - self.before[pid] for pid in self.before if pid in self.peak), default=0.0)


# ---------------------------------------------------------------------------- request log


def request_lines(text: str) -> Iterator[dict[str, Any]]:
    """The request log's JSON lines (pandjango/edge/requestlog.py) among gunicorn's other lines."""
    for line in text.splitlines():
        if not line.startswith("{") or '"duration_ms"' not in line:
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError:
            continue


def full_path(line: dict[str, Any]) -> str:
    return str(line["path"]) + (f"?{line['query']}" if line.get("query") else "")


class LogReader:
    """Reads what gunicorn appended to its log since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def skip(self) -> None:
        self.offset = self.path.stat().st_size

    def new_lines(self) -> list[dict[str, Any]]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            data = log.read()
        cut = data.rfind(b"\n") + 1  # a line half written stays for the next call
        self.offset += cut
        return list(request_lines(data[:cut].decode("utf-8", "replace")))

    def drain(self, quiet: float, limit: float = 180) -> list[dict[str, Any]]:
        """Lines until none has come for `quiet` seconds: the requests wrk left in flight
        when it stopped are answered before the next case starts."""
        lines: list[dict[str, Any]] = []
        deadline = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(min(0.1, quiet))
            new = self.new_lines()
            if new:
                lines += new
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                break
        return lines
