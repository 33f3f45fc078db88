"""A real memcached for the tests: Debian's /usr/bin/memcached on a free port, which a test
may stop and start again (the failure tests).

Run as a program, it starts the memcached servers that the config of $PANDJANGO_CONFIG names
when its cache backend is memcached, runs the command given, and stops them (the PostgreSQL
run of `make test` caches in memcached throughout):

    PANDJANGO_CONFIG=config/test/postgresql.toml python -m tests.memcached .venv/bin/pytest
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from typing import Any

from pymemcache.client.base import Client

MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Memcached:
    def __init__(self, memory_mb: int = 64, port: int | None = None) -> None:
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.memory_mb = memory_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.started = False

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts memcached and waits until it answers, as itself: a port that another
        memcached holds (another test run's, or one left behind) is not this one's, and
        sharing it would mix both runs' entries and allowances. A port of free_port() taken
        meanwhile by someone else is traded for another one, unless the server was started
        before (its address is in the settings by then)."""
        if not os.access(MEMCACHED, os.X_OK):
            raise RuntimeError(f"no memcached at {MEMCACHED}: `make system-deps` installs Debian's")
        for _ in range(5):
            if self._start_once():
                self.started = True
                return
            if self.fixed_port or self.started:
                break
            self.port = free_port()
        raise RuntimeError(f"memcached could not listen on port {self.port}: another process holds it")

    def _start_once(self) -> bool:
        process = self.process = subprocess.Popen(
            # memcached refuses to run as root unless told which user to be.
            [MEMCACHED, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", str(self.memory_mb), "-t", "2"]
            + (["-u", "root"] if os.geteuid() == 0 else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:  # most often: the port is taken
                self.process = None
                return False
            if self._answering_pid() == process.pid:
                return True
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"memcached did not listen on port {self.port}")

    def _answering_pid(self) -> int | None:
        """The process id of the memcached that answers on the port, if any."""
        client = Client(("127.0.0.1", self.port), connect_timeout=0.2, timeout=0.5)
        try:
            return int(client.stats()[b"pid"])
        except Exception:  # not listening yet, or not memcached
            return None
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> Client:
        return Client(("127.0.0.1", self.port), connect_timeout=1, timeout=1)

    def flush(self) -> None:
        """Empties it, waiting for memcached's answer: a flush sent without one may be carried
        out after the next test's first request, which would then see the last test's entries."""
        client = self.client()
        client.flush_all(noreply=False)
        client.close()

    def stats(self) -> dict[str, Any]:
        client = self.client()
        try:
            return {k.decode(): v for k, v in client.stats().items()}
        finally:
            client.close()


def configured_ports(config_path: str) -> list[int]:
    """The ports of the config's memcached servers (all on 127.0.0.1), or [] for another backend."""
    with open(config_path, "rb") as f:
        cache = tomllib.load(f).get("cache", {})
    if cache.get("backend") != "memcached":
        return []
    ports = []
    for server in cache.get("servers", ["127.0.0.1:11211"]):
        host, _, port = server.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"{config_path}: the tests start memcached on 127.0.0.1 only, not {server}")
        ports.append(int(port))
    return ports


def main(command: list[str]) -> int:
    if not os.environ.get("PANDJANGO_CONFIG"):
        raise SystemExit("PANDJANGO_CONFIG names no config file")
    servers = [Memcached(port=port) for port in configured_ports(os.environ["PANDJANGO_CONFIG"])]
    try:
        for server in servers:
            server.start()
        return subprocess.call(command)
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
