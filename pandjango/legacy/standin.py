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
"""

from __future__ import annotations

import argparse
import html
import sqlite3
import threading
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

BASE_PATH = "/server/pandamon/"
CLOUDS = ("CA", "CERN", "DE", "ES", "FR", "IT", "ND", "NL", "TW", "UK", "US")
JOB_STATES = ("defined", "assigned", "activated", "running", "holding", "finished", "failed")
OLD_TABS = (
    ("Configuration", "query?dash=config"),
    ("Production", "query?dash=prod"),
    ("Clouds", "query?dash=clouds"),
    ("Incidents", "query?mode=incidents"),
    ("AutoPilot", "query?dash=autopilot"),
    ("Sites", "query?dash=sites"),
    ("Analysis", "query?dash=analysis"),
    ("Stats", "query?dash=stats"),
    ("Users", "query?mode=listusers"),
)
# One pixel, for the image the proxy passes through.
PNG_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


# The job tables a page of "the last hours" reads, as the old monitor did.
JOB_TABLES = ("jobsdefined4", "jobswaiting4", "jobsactive4", "jobsarchived4")
DAYS_SHOWN = 7


def _since(hours: float) -> str:
    """A time as the SQLite PanDA database stores it (UTC, no zone)."""
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


class PandaFigures:
    """The old monitor's figures, read from the demo's PanDA database (SQLite, read-only)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{Path(self.path).resolve()}?mode=ro", uri=True, timeout=5) as conn:
            return list(conn.execute(sql, params))

    def jobs_by_cloud(self, hours: float, label: str | None = None) -> Counter[tuple[str, str]]:
        """Jobs modified in the last hours per (cloud, jobstatus), each PandaID once."""
        where = "modificationtime >= ?" + (" AND prodsourcelabel = ?" if label else "")
        params = (_since(hours), label) if label else (_since(hours),)
        union = " UNION ".join(f"SELECT pandaid, cloud, jobstatus FROM {t} WHERE {where}" for t in JOB_TABLES)
        rows = self._rows(f"SELECT cloud, jobstatus, COUNT(*) FROM ({union}) GROUP BY cloud, jobstatus", *(params * len(JOB_TABLES)))
        return Counter({(str(cloud), str(state)): n for cloud, state, n in rows})

    def finished_by_day(self, days: list[str]) -> Counter[tuple[str, str]]:
        """Finished jobs per (cloud, day of their end), over the given days."""
        union = " UNION ".join(
            f"SELECT pandaid, cloud, endtime FROM {t} WHERE jobstatus = 'finished' AND endtime >= ?" for t in ("jobsarchived4", "jobsarchived")
        )
        rows = self._rows(f"SELECT cloud, substr(endtime, 1, 10), COUNT(*) FROM ({union}) GROUP BY 1, 2", days[0], days[0])
        return Counter({(str(cloud), day): n for cloud, day, n in rows})

    def recent_tasks(self, limit: int) -> list[tuple[Any, ...]]:
        return self._rows("SELECT jeditaskid, taskname, status FROM jedi_tasks ORDER BY modificationtime DESC, jeditaskid LIMIT ?", limit)

    def job(self, pandaid: str) -> tuple[Any, ...] | None:
        if not pandaid.isdigit():
            return None
        for table in (*JOB_TABLES, "jobsarchived"):
            found = self._rows(f"SELECT jobstatus, computingsite, prodsourcelabel FROM {table} WHERE pandaid = ?", int(pandaid))
            if found:
                return found[0]
        return None


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


def _count(*keys: str) -> int:
    """A stable made-up figure for the pages' tables."""
    return zlib.crc32("/".join(keys).encode()) % 900 + 10


def _frame(server: StandinServer, title: str, body: str) -> str:
    tabs = " ".join(f'<a href="{href}">{name}</a>' for name, href in OLD_TABS)
    return f"""<!DOCTYPE html>
<html><head><title>{html.escape(title)}</title>
<meta http-equiv="refresh" content="300">
<link rel="stylesheet" href="/css/pandamon.css">
<style>body {{ font-family: sans-serif; }}</style>
<script src="http://evil.example.org/tracker.js"></script>
<script>document.title = "Panda monitor";</script>
</head>
<body onload="startClock()">
<table class="tabs"><tr><td>{tabs}</td></tr></table>
<p><b>Panda monitor</b> &middot; Times are in UTC &middot; <a href="#top" onclick="refresh(); return false">Update</a></p>
<h1>{html.escape(title)}</h1>
{body}
<hr><p><a href="{server.base_url}query">Panda monitor home</a> &middot;
<a href="https://twiki.cern.ch/twiki/bin/view/PanDA/PandaMonitor">Panda info and help</a> &middot;
<a href="javascript:alert('help')">Click for help</a></p>
</body></html>"""


def front_page(server: StandinServer) -> str:
    body = """
<h2>Jobs - search</h2>
<p>States: <a href="query?job=*&amp;jobStatus=running">running</a>, <a href="query?job=*&amp;jobStatus=defined">defined</a>,
<a href="query?job=*&amp;jobStatus=failed">failed</a> &middot; Types: analysis, prod, install, test</p>
<h2>Quick search</h2>
<form action="query" method="get">Panda job ID <input type="text" name="job" size="12">
<input type="submit" value="Search" onclick="return check(this.form)"></form>
<form action="query?mode=login" method="post"><input type="hidden" name="token" value="x"><button type="submit">Sign in (old)</button></form>
<h2>Summaries</h2>
<p><a href="/server/pandamon/query?dash=clouds">Clouds</a> &middot; <a href="query?dash=prod">Production dashboard</a>
&middot; <a href="query?mode=listtasks">Task list</a> &middot; <a href="admin/config">Server configuration</a>
&middot; <a href="query?dash=old-clouds">Clouds (old address)</a></p>
<iframe src="http://evil.example.org/frame"></iframe>
<img src="query?plot=jobs" alt="jobs plot" onerror="steal()">
"""
    return _frame(server, "Panda monitor", body)


def _jobs_by_cloud(server: StandinServer, label: str | None = None) -> tuple[tuple[str, ...], Any]:
    """The clouds and a count(cloud, state) of the last 12 hours: the database's, or made up."""
    if server.figures is None:
        return CLOUDS, lambda c, s: _count(c, s)
    counts = server.figures.jobs_by_cloud(12, label)
    return tuple(sorted({c for c, _ in counts})), lambda c, s: counts[(c, s)]


def clouds_page(server: StandinServer) -> str:
    clouds, count = _jobs_by_cloud(server)
    head = "".join(f"<th>{s}</th>" for s in JOB_STATES)
    rows = "".join(
        f'<tr><td><a href="query?dash=clouds&amp;cloud={html.escape(c)}">{html.escape(c)}</a></td>'
        + "".join(f"<td>{count(c, s)}</td>" for s in JOB_STATES)
        + "</tr>"
        for c in clouds
    )
    body = f"<p>Jobs in the last 12 hours, by cloud.</p><table border=\"1\"><tr><th>Cloud</th>{head}</tr>{rows}</table>"
    return _frame(server, "Clouds", body)


def production_page(server: StandinServer) -> str:
    clouds, count = _jobs_by_cloud(server, "managed")
    rows = "".join(
        f'<tr><td><a href="query?job=*&amp;cloud={html.escape(c)}&amp;type=managed">{html.escape(c)}</a></td><td>{count(c, "running")}</td>'
        f"<td>{count(c, 'finished')}</td><td>{count(c, 'failed')}</td></tr>"
        for c in clouds
    )
    body = f'<p>Managed jobs in the last 12 hours.</p><table border="1"><tr><th>Cloud</th><th>Running</th><th>Finished</th><th>Failed</th></tr>{rows}</table>'
    return _frame(server, "Production dashboard", body)


def stats_page(server: StandinServer) -> str:
    if server.figures is None:
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        clouds: tuple[str, ...] = CLOUDS
        count: Any = lambda c, d: _count(c, d, "finished")  # noqa: E731
    else:
        today = datetime.now(UTC).date()
        days = [(today - timedelta(days=n)).isoformat() for n in range(DAYS_SHOWN - 1, -1, -1)]
        counts = server.figures.finished_by_day(days)
        clouds = tuple(sorted({c for c, _ in counts}))
        count = lambda c, d: counts[(c, d)]  # noqa: E731
    head = "".join(f"<th>{d}</th>" for d in days)
    rows = "".join(f"<tr><td>{html.escape(c)}</td>" + "".join(f"<td>{count(c, d)}</td>" for d in days) + "</tr>" for c in clouds)
    body = f'<p>Finished jobs per day, by cloud.</p><table border="1"><tr><th>Cloud</th>{head}</tr>{rows}</table>'
    return _frame(server, "Stats", body)


def job_page(server: StandinServer, pandaid: str) -> str:
    safe = html.escape(pandaid)
    found = server.figures.job(pandaid) if server.figures is not None else ("finished", "ANALY_CERN", "user")
    if found is None:
        return _frame(server, f"Job {pandaid}", f"<p>PandaID {safe} not found.</p>")
    state, site, label = (html.escape(str(v)) for v in found)
    body = f"""<p><b>PandaID {safe}</b></p>
<table border="1"><tr><th>jobStatus</th><td>{state}</td></tr><tr><th>computingSite</th><td>
<a href="query?site={site}">{site}</a></td></tr><tr><th>prodSourceLabel</th><td>{label}</td></tr></table>
<p><a href="query?job={safe}&amp;mode=log" onmouseover="peek()">Pilot log</a></p>"""
    return _frame(server, f"Job {pandaid}", body)


def tasks_page(server: StandinServer) -> str:
    if server.figures is None:
        tasks: list[tuple[Any, ...]] = [(1000 + i, f"mc10_7TeV.{i}", "running") for i in range(8)]
    else:
        tasks = server.figures.recent_tasks(20)
    rows = "".join(
        f'<tr><td><a href="query?mode=task&amp;id={int(t)}">{int(t)}</a></td><td>{html.escape(str(name))}</td><td>{html.escape(str(status))}</td></tr>'
        for t, name, status in tasks
    )
    return _frame(server, "Task list", f'<table border="1"><tr><th>Task</th><th>Name</th><th>Status</th></tr>{rows}</table>')


def sign_in_page(server: StandinServer) -> str:
    body = """<form action="query?mode=login" method="post">User <input type="text" name="user">
Password <input type="password" name="passwd"> <INPUT TYPE="Password" name="pin" value="1234">
<input type="submit" value="Sign in"></form>"""
    return _frame(server, "Sign in", body)


def deep_page(depth: int = 100_000) -> str:
    """About 1 MB: what took nh3 50 s to sanitise, for its parser's cost grows with the depth."""
    return "<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>"


def generic_page(server: StandinServer, what: str) -> str:
    return _frame(server, f"Panda monitor: {what}", f"<p>The old monitor's {html.escape(what)} page.</p>")


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
            page = _frame(self.server, "Big", "<p>" + "x" * self.server.big_bytes + "</p>")
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
