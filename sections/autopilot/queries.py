"""What the autopilot section reads: pilots (PILOTQUEUE) and the tables around them
(SCHEDINSTANCE, SUBMITHOSTS, SERVICELIST, PILOTTYPE). A pilot is in the window when its
TSTATE (the time of its last state change) is; pilots are counted in the database, grouped
by state and status. The queues by region count their pilots with the raw SQL registry's
autopilot.queue_pilot_counts (sql.py) whenever the queue filters are plain values; a
wildcard takes the ORM path, which gives the same counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, Count, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

from pandjango import rawsql
from pandjango.api import Query, clean_dates
from pandjango.columns import columns_of, order_by_column, values_by_column
from pandjango.pandadb.jobs import Window, find_jobs
from pandjango.pandadb.models import PilotQueue, PilotType, SchedConfig, SchedInstance, ServiceList, SubmitHosts

from . import sql

PILOT_COLUMNS = columns_of(PilotQueue)
PILOT_LIST_FIELDS = (
    "tpid", "jobid", "nickname", "queueid", "submithost", "type", "state", "status", "pandaid",
    "workernode", "tsubmit", "tstart", "tend", "tstate", "errcode", "errinfo", "url",
)
# The job a pilot ran, as shown with the pilot.
PILOT_JOB_FIELDS = (
    "pandaid", "jobstatus", "computingsite", "jeditaskid", "prodsourcelabel", "produsername",
    "creationtime", "starttime", "endtime", "modificationtime", "piloterrorcode", "exeerrorcode",
)
SCHEDINSTANCE_COUNTERS = ("nqueue", "nqueued", "nrunning", "nfinished", "nfailed")
SUBMITHOST_COLUMNS = columns_of(SubmitHosts, exclude=("jdltxt",))
PILOTTYPE_COLUMNS = columns_of(PilotType)
# Commands and configuration an operator runs are not for the monitor's readers.
SERVICE_COLUMNS = columns_of(ServiceList, exclude=("restartcmd", "doaction", "config"))
# The ERRINFO of a pilot that asked for work and found none: a clean exit, not an error.
NO_JOBS = "Dispatcher has no jobs"


@dataclass
class PilotCounts:
    """Pilots counted by state and by status."""

    total: int = 0
    by_state: Counter[str | None] = field(default_factory=Counter)
    by_status: Counter[str | None] = field(default_factory=Counter)

    def add(self, state: str | None, status: str | None, count: int) -> None:
        self.total += count
        self.by_state[state] += count
        self.by_status[status] += count

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_state": dict(self.by_state.most_common()), "by_status": dict(self.by_status.most_common())}


def pilots_in(window: Window) -> QuerySet[PilotQueue]:
    return PilotQueue.objects.filter(tstate__gte=window.start, tstate__lt=window.end)


def pilot_counts_by(column: str, window: Window, q: Q | None = None) -> dict[Any, PilotCounts]:
    """Pilots in the window (and matching q), counted per value of `column`."""
    counts: dict[Any, PilotCounts] = defaultdict(PilotCounts)
    qs = pilots_in(window).filter(q or Q())
    for group in qs.values(column, "state", "status").annotate(count=Count("tpid")).order_by():
        counts[group[column]].add(group["state"], group["status"], group["count"])
    return counts


def recent_pilots(query: Query) -> tuple[list[dict[str, Any]], bool]:
    """The pilots matching the filters in the window, sorted (newest TSTATE first by
    default), at most query.limit; and whether more exist."""
    assert query.window is not None
    qs = pilots_in(query.window).filter(query.q).order_by(*order_by_column(PilotQueue, query.sort, "tpid"))
    rows = list(values_by_column(qs, query.fields)[: query.limit + 1])
    clean_dates(rows)
    return rows[: query.limit], len(rows) > query.limit


def pilot_detail(tpid: str) -> dict[str, Any] | None:
    """One pilot, all columns, with "job": the job it ran (wherever it is now) or None."""
    pilot = values_by_column(PilotQueue.objects.filter(tpid=tpid), PILOT_COLUMNS).first()
    if pilot is None:
        return None
    job = find_jobs([pilot["pandaid"]], PILOT_JOB_FIELDS).get(pilot["pandaid"]) if pilot["pandaid"] else None
    clean_dates([pilot, *([job] if job else [])])
    pilot["job"] = job
    return pilot


def queue_pilot_counts(query: Query, nicknames: QuerySet[Any]) -> dict[Any, PilotCounts]:
    """The pilots in the window of the queues chosen by the request (`nicknames`, its
    SCHEDCONFIG rows), counted per queue. The ORM's semi-join on `nicknames` is read from
    SCHEDCONFIG through every pilot of every queue: past 30 s at a million pilots on MariaDB,
    where the registry's text, which groups the window's pilots first, takes 2.5 s."""
    assert query.window is not None
    filters = rawsql.in_list_params(query.filters, sql.QUEUE_FILTERS)
    if filters is None:
        return pilot_counts_by("nickname", query.window, Q(nickname__in=nicknames))
    counts: dict[Any, PilotCounts] = defaultdict(PilotCounts)
    span = {"date_from": query.window.start, "date_to": query.window.end}
    for row in rawsql.run(sql.queue_pilot_counts.name, **span, **filters):
        counts[row["nickname"]].add(row["state"], row["status"], row["count"])
    return counts


def queues_by_region(query: Query) -> list[dict[str, Any]]:
    """The SCHEDCONFIG queues matching the request's filters, grouped by cloud and region,
    each with its SCHEDINSTANCE counters (summed over its PanDA sites) and its pilots in the
    window."""
    chosen = SchedConfig.objects.filter(query.q)
    queues = [dict(row) for row in chosen.order_by("cloud", "region", "nickname").values("nickname", "siteid", "cloud", "region", "status")]
    nicknames = chosen.values("nickname")
    sums = {f"sum_{c}": Sum(c) for c in SCHEDINSTANCE_COUNTERS}
    counters = {
        row["nickname"]: {c: row[f"sum_{c}"] for c in SCHEDINSTANCE_COUNTERS}
        for row in SchedInstance.objects.filter(nickname__in=nicknames).values("nickname").annotate(**sums).order_by()
    }
    pilots = queue_pilot_counts(query, nicknames)
    no_counters = dict.fromkeys(SCHEDINSTANCE_COUNTERS)
    for queue in queues:
        queue.update(counters.get(queue["nickname"], no_counters))
        queue["pilots"] = pilots.get(queue["nickname"], PilotCounts()).as_dict()
    return [
        {"cloud": cloud, "region": region, "queues": list(members)}
        for (cloud, region), members in groupby(queues, key=lambda queue: (queue["cloud"], queue["region"]))
    ]


def _with_pilot_counts(rows: list[dict[str, Any]], key: str, columns: tuple[str, ...], counts: dict[Any, PilotCounts]) -> list[dict[str, Any]]:
    """Config rows with their pilots' counts, plus a row (its configuration null) for every
    value that pilots name but the config table does not hold: a submit host sending pilots
    without being configured is worth seeing."""
    configured = {row[key] for row in rows}
    for row in rows:
        row["configured"] = True
    for value in counts:
        if value is not None and value not in configured:
            rows.append({**dict.fromkeys(columns), key: value, "configured": False})
    rows.sort(key=lambda row: row[key])
    for row in rows:
        row["pilots"] = counts.get(row[key], PilotCounts()).as_dict()
    return rows


def submithosts(window: Window) -> list[dict[str, Any]]:
    rows = list(values_by_column(SubmitHosts.objects.all(), SUBMITHOST_COLUMNS))
    return _with_pilot_counts(rows, "host", SUBMITHOST_COLUMNS, pilot_counts_by("submithost", window))


def pilottypes(window: Window) -> list[dict[str, Any]]:
    rows = list(values_by_column(PilotType.objects.all(), PILOTTYPE_COLUMNS))
    return _with_pilot_counts(rows, "name", PILOTTYPE_COLUMNS, pilot_counts_by("type", window))


def services_with_heartbeat(now: datetime) -> QuerySet[Any]:  # Any: rows carry annotations
    """SERVICELIST with `heartbeat`, the newer of TCHECK and LASTMOD, and `stale`: no
    heartbeat within limits.service_stale_seconds of `now` (or none at all)."""
    fresh_since = now - timedelta(seconds=settings.PANDJANGO["limits"]["service_stale_seconds"])
    # GREATEST is null when either side is null on most databases: fall back to the other.
    heartbeat = Greatest(Coalesce("tcheck", "lastmod"), Coalesce("lastmod", "tcheck"))
    stale = Case(When(heartbeat__gte=fresh_since, then=Value(False)), default=Value(True), output_field=BooleanField())
    return ServiceList.objects.annotate(heartbeat=heartbeat).annotate(stale=stale)


def services(q: Q, now: datetime) -> list[dict[str, Any]]:
    rows = list(services_with_heartbeat(now).filter(q).order_by("id").values(*SERVICE_COLUMNS, "heartbeat", "stale"))
    clean_dates(rows)
    for row in rows:
        row["seconds_since_heartbeat"] = int((now - row["heartbeat"]).total_seconds()) if row["heartbeat"] else None
    return rows


def overview(window: Window, now: datetime) -> dict[str, Any]:
    """The autopilot at a glance: pilots in the window, active submit hosts, services, and
    how fresh the pilot data is."""
    in_window = pilots_in(window)
    totals = PilotCounts()
    for group in in_window.values("state", "status").annotate(count=Count("tpid")).order_by():
        totals.add(group["state"], group["status"], group["count"])
    extra = in_window.aggregate(no_jobs=Count("tpid", filter=Q(errinfo=NO_JOBS)), submithosts=Count("submithost", distinct=True))
    # Grouped by the stale flag: an aggregate's filter cannot refer to an annotation.
    services_by_staleness = {
        group["stale"]: group["count"] for group in services_with_heartbeat(now).values("stale").annotate(count=Count("id")).order_by()
    }
    newest = PilotQueue.objects.aggregate(newest=Max("tstate"))
    clean_dates([newest])
    return {
        "pilots": {**totals.as_dict(), "no_jobs": extra["no_jobs"]},
        "submithosts": {"active": extra["submithosts"]},
        "services": {
            "total": sum(services_by_staleness.values()),
            "up": services_by_staleness.get(False, 0),
            "stale": services_by_staleness.get(True, 0),
        },
        "newest_pilot_update": newest["newest"],
    }
