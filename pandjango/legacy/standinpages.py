"""The stand-in old monitor's pages: its tab bar, the clouds, production and stats dashboards,
a job page, the task list, a sign-in form, a page nested 100,000 deep; their figures read from
the demo's PanDA database (PandaFigures) or made up."""

from __future__ import annotations

import html
import sqlite3
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

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


class Site(Protocol):
    """What a page needs of the server it is served by."""

    @property
    def base_url(self) -> str: ...

    @property
    def figures(self) -> PandaFigures | None: ...


def _count(*keys: str) -> int:
    """A stable made-up figure for the pages' tables."""
    return zlib.crc32("/".join(keys).encode()) % 900 + 10


def _frame(server: Site, title: str, body: str) -> str:
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


def front_page(server: Site) -> str:
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


def _jobs_by_cloud(server: Site, label: str | None = None) -> tuple[tuple[str, ...], Any]:
    """The clouds and a count(cloud, state) of the last 12 hours: the database's, or made up."""
    if server.figures is None:
        return CLOUDS, lambda c, s: _count(c, s)
    counts = server.figures.jobs_by_cloud(12, label)
    return tuple(sorted({c for c, _ in counts})), lambda c, s: counts[(c, s)]


def clouds_page(server: Site) -> str:
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


def production_page(server: Site) -> str:
    clouds, count = _jobs_by_cloud(server, "managed")
    rows = "".join(
        f'<tr><td><a href="query?job=*&amp;cloud={html.escape(c)}&amp;type=managed">{html.escape(c)}</a></td><td>{count(c, "running")}</td>'
        f"<td>{count(c, 'finished')}</td><td>{count(c, 'failed')}</td></tr>"
        for c in clouds
    )
    body = f'<p>Managed jobs in the last 12 hours.</p><table border="1"><tr><th>Cloud</th><th>Running</th><th>Finished</th><th>Failed</th></tr>{rows}</table>'
    return _frame(server, "Production dashboard", body)


def stats_page(server: Site) -> str:
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


def job_page(server: Site, pandaid: str) -> str:
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


def tasks_page(server: Site) -> str:
    if server.figures is None:
        tasks: list[tuple[Any, ...]] = [(1000 + i, f"mc10_7TeV.{i}", "running") for i in range(8)]
    else:
        tasks = server.figures.recent_tasks(20)
    rows = "".join(
        f'<tr><td><a href="query?mode=task&amp;id={int(t)}">{int(t)}</a></td><td>{html.escape(str(name))}</td><td>{html.escape(str(status))}</td></tr>'
        for t, name, status in tasks
    )
    return _frame(server, "Task list", f'<table border="1"><tr><th>Task</th><th>Name</th><th>Status</th></tr>{rows}</table>')


def sign_in_page(server: Site) -> str:
    body = """<form action="query?mode=login" method="post">User <input type="text" name="user">
Password <input type="password" name="passwd"> <INPUT TYPE="Password" name="pin" value="1234">
<input type="submit" value="Sign in"></form>"""
    return _frame(server, "Sign in", body)


def deep_page(depth: int = 100_000) -> str:
    """About 1 MB: what took nh3 50 s to sanitise, for its parser's cost grows with the depth."""
    return "<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>"


def big_page(server: Site, size: int) -> str:
    """A page of about `size` bytes, past what the proxy takes."""
    return _frame(server, "Big", "<p>" + "x" * size + "</p>")


def generic_page(server: Site, what: str) -> str:
    return _frame(server, f"Panda monitor: {what}", f"<p>The old monitor's {html.escape(what)} page.</p>")
