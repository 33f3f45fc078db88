"""A small stand-in for the old PanDA monitor, for the demo and the legacy proxy's tests.

    python -m pandjango.legacy.standin --port 8010

serves http://127.0.0.1:8010/server/pandamon/query?... with pages shaped like the old
monitor's (its tab bar, the clouds and production dashboards, a job page, the task list),
and, on purpose, what the proxy must cope with: scripts, onclick handlers, javascript:
links, forms, links to pages outside the allowed prefixes and to other hosts, redirects
inside and outside the monitor, a 500, a slow page, pages that drip their headers or their body
one byte at a time, oversized pages (with and without a Content-Length), a page nested
100,000 deep and a sign-in form with a password field. It records every request's headers,
so that a test can check what the proxy forwarded.

Given the PanDA database of the demo (an SQLite file, `--database`, or the one the
configuration names), its clouds, production, stats, task and job pages show that database's
figures, read through a read-only connection; without one they show made-up figures.

This module is the server (what each query answers, and how); the pages are standinpages'.
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pandjango.legacy.standinpages import (
    BASE_PATH,
    PandaFigures,
    big_page,
    clouds_page,
    deep_page,
    front_page,
    generic_page,
    job_page,
    production_page,
    sign_in_page,
    stats_page,
    tasks_page,
)

# One pixel, for the image the proxy passes through.
PNG_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], slow_seconds: float = 3.0, big_bytes: int = 3_000_000, drip_seconds: float = 4.0,
                 database: str | None = None) -> None:
        super().__init__(address, StandinHandler)
        self.slow_seconds = slow_seconds
        self.drip_seconds = drip_seconds
        self.big_bytes = big_bytes
        self.figures = PandaFigures(database) if database else None
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{BASE_PATH}"

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers})


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer
    server_version = "PandaMonitor/2010"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests and the demo log on their own side

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self.server.record("POST", self.path, dict(self.headers.items()))
        self._send(405, "text/plain", b"GET only\n")

    def do_GET(self) -> None:
        self.server.record(self.command, self.path, dict(self.headers.items()))
        parts = urlsplit(self.path)
        if not parts.path.startswith(BASE_PATH):
            self._send(404, "text/html", b"<h1>Not Found</h1>")
            return
        page = parts.path[len(BASE_PATH):]
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if page == "admin/config":
            self._html(generic_page(self.server, "server configuration (must never be proxied)"))
        elif page == "query":
            self._query(params)
        else:
            self._send(404, "text/html", b"<h1>Not Found</h1>")

    def _query(self, params: dict[str, str]) -> None:
        dash = params.get("dash", "")
        if dash == "old-clouds":
            self._redirect("query?dash=clouds")
        elif dash == "away":
            self._redirect("http://evil.example.org/server/pandamon/query")
        elif dash == "upstairs":
            self._redirect("/private/secret")
        elif dash == "loop":
            self._redirect("query?dash=loop")
        elif dash == "broken":
            self._send(500, "text/html", b"<h1>Internal Server Error</h1><pre>Traceback (most recent call last): ...</pre>")
        elif dash == "slow":
            time.sleep(self.server.slow_seconds)
            self._html(generic_page(self.server, "slow"))
        elif dash == "drip-headers":
            self._drip(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 100 + b"\r\n\r\n<p>late</p>")
        elif dash == "drip-body":
            body = generic_page(self.server, "drip").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._drip(body)
        elif dash == "deep":
            self._html(deep_page())
        elif params.get("mode") == "signin":
            self._html(sign_in_page(self.server))
        elif dash in ("big", "big-unsized"):
            page = big_page(self.server, self.server.big_bytes)
            self._send(200, "text/html; charset=utf-8", page.encode(), sized=dash == "big")
        elif dash == "clouds":
            self._html(clouds_page(self.server))
        elif dash == "prod":
            self._html(production_page(self.server))
        elif dash == "stats":
            self._html(stats_page(self.server))
        elif "plot" in params:
            self._send(200, "image/png", PNG_PIXEL)
        elif params.get("mode") == "listtasks":
            self._html(tasks_page(self.server))
        elif "job" in params:
            self._html(job_page(self.server, params["job"]))
        elif not params:
            self._html(front_page(self.server), cookie="pandamon_session=old-monitor-session; Path=/")
        else:
            self._html(generic_page(self.server, dash or params.get("mode", "query")))

    def _drip(self, data: bytes) -> None:
        """One byte every drip_seconds: each read is quick, the whole never ends in time."""
        self.wfile.flush()
        for i in range(len(data)):
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:  # the proxy gave up and closed
                return
            time.sleep(self.server.drip_seconds)

    def _html(self, text: str, cookie: str = "") -> None:
        extra = {"Set-Cookie": cookie} if cookie else {}
        self._send(200, "text/html; charset=utf-8", text.encode(), extra)

    def _redirect(self, location: str) -> None:
        self._send(302, "text/html", b"", {"Location": location})

    def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None, sized: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if sized:  # else HTTP/1.0 ends the body by closing the connection
            self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def start(host: str = "127.0.0.1", port: int = 0, **options: Any) -> StandinServer:
    """A running stand-in in a background thread (port 0: a free port); stop with shutdown()."""
    server = StandinServer((host, port), **options)
    threading.Thread(target=server.serve_forever, name="legacy-standin", daemon=True).start()
    return server


def configured_database() -> str | None:
    """The PanDA SQLite file of the configuration Pandjango reads, when there is one."""
    from pandjango import config

    try:
        panda = config.load()["databases"]["panda"]
    except config.ConfigError:
        return None
    if panda["engine"] != "sqlite":
        return None
    path = Path(panda["name"])
    path = path if path.is_absolute() else config.BASE_DIR / path
    return str(path) if path.exists() else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A stand-in for the old PanDA monitor (demo and tests).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--slow-seconds", type=float, default=3.0, help="how long query?dash=slow takes")
    parser.add_argument("--drip-seconds", type=float, default=4.0, help="the pause between bytes of query?dash=drip-headers and drip-body")
    parser.add_argument("--database", help="the PanDA SQLite file whose figures the pages show (default: the configuration's, "
                        "PANDJANGO_CONFIG or config/pandjango.toml, when it is SQLite; none: made-up figures)")
    args = parser.parse_args(argv)
    database = args.database or configured_database()
    server = StandinServer((args.host, args.port), slow_seconds=args.slow_seconds, drip_seconds=args.drip_seconds, database=database)
    print(f"stand-in old monitor at {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
