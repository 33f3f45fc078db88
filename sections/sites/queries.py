"""What the sites section reads: queues (SCHEDCONFIG), clouds (CLOUDCONFIG), and the job
counts and errors that go with them. Jobs are counted and grouped in the database, one
GROUP BY per job table, and the per-table counts summed."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Max, Q

from pandjango.api import Query, clean_dates
from pandjango.columns import columns_of, order_by_column, values_by_column
from pandjango.pandadb import errorcodes
from pandjango.pandadb.jobs import Window, job_querysets
from pandjango.pandadb.models import CloudConfig, SchedConfig

QUEUE_COLUMNS = columns_of(SchedConfig)
PERSONAL_COLUMNS = ("email",)
QUEUE_SORT_FIELDS = tuple(c for c in QUEUE_COLUMNS if c not in PERSONAL_COLUMNS)
QUEUE_LIST_FIELDS = (
    "nickname", "siteid", "cloud", "region", "tier", "status", "gocname", "countrygroup",
    "corecount", "memory", "maxtime", "nqueue", "nodes", "pilotlimit", "resource_type",
    "capability", "comment_", "lastmod", "email",
)
CLOUD_COLUMNS = columns_of(CloudConfig)
TOP_ERRORS = 20
# Failed jobs are only in the tables of final states.
FAILED_JOB_TABLES = ("archived", "archive")


def queue_list(query: Query) -> tuple[list[dict[str, Any]], bool]:
    """The queues matching the filters, sorted, at most query.limit; and whether more exist."""
    qs = SchedConfig.objects.filter(query.q).order_by(*order_by_column(SchedConfig, query.sort, "nickname"))
    rows = list(values_by_column(qs, query.fields)[: query.limit + 1])
    clean_dates(rows)
    return rows[: query.limit], len(rows) > query.limit


def queue_detail(nickname: str, window: Window, show_personal: bool) -> dict[str, Any] | None:
    columns = [c for c in QUEUE_COLUMNS if show_personal or c not in PERSONAL_COLUMNS]
    queue = values_by_column(SchedConfig.objects.filter(nickname=nickname), columns).first()
    if queue is None:
        return None
    clean_dates([queue])
    at_queue = Q(computingsite=nickname)
    queue["jobs"] = {status: count for (status,), count in count_jobs(at_queue, window, "jobstatus").most_common()}
    queue["errors"] = frequent_errors(at_queue, window)
    return queue


def count_jobs(q: Q | None, window: Window, *group: str) -> Counter[tuple[Any, ...]]:
    """Jobs matching q in the window, counted by the `group` columns across the job tables."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for _table, qs in job_querysets(q, window):
        for row in qs.values(*group).annotate(count=Count("pandaid")).order_by():
            counts[tuple(row[g] for g in group)] += row["count"]
    return counts


def frequent_errors(q: Q, window: Window, top: int = TOP_ERRORS) -> list[dict[str, Any]]:
    """The most frequent error codes of the failed jobs matching q, by component and code,
    with how many jobs had each and one of those jobs (the newest pandaid)."""
    code_columns = [code for code, _diag in errorcodes.COLUMNS.values()]
    counts: Counter[tuple[str, int]] = Counter()
    examples: dict[tuple[str, int], int] = {}
    for _table, qs in job_querysets(q & Q(jobstatus="failed"), window, tables=FAILED_JOB_TABLES):
        # One group per combination of codes: a job failing in two components counts for both.
        groups = qs.values(*code_columns).annotate(count=Count("pandaid"), example=Max("pandaid")).order_by()
        for row in groups:
            for component, (code_column, _diag) in errorcodes.COLUMNS.items():
                if row[code_column]:
                    key = (component, row[code_column])
                    counts[key] += row["count"]
                    examples[key] = max(examples.get(key, 0), row["example"])
    component_order = list(errorcodes.COLUMNS)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], component_order.index(item[0][0]), item[0][1]))
    return [
        {
            "component": component,
            "code": code,
            "description": errorcodes.describe(component, code),
            "count": count,
            "example_pandaid": examples[(component, code)],
        }
        for (component, code), count in ranked[:top]
    ]


def clouds(window: Window) -> list[dict[str, Any]]:
    """Every cloud of CLOUDCONFIG with its queues counted by status and its jobs (by the
    jobs' own CLOUD column) counted by jobstatus in the window."""
    rows = list(values_by_column(CloudConfig.objects.order_by("name"), CLOUD_COLUMNS))
    clean_dates(rows)
    queues: dict[str, Counter[str | None]] = defaultdict(Counter)
    for group in SchedConfig.objects.values("cloud", "status").annotate(count=Count("nickname")).order_by():
        queues[group["cloud"]][group["status"]] += group["count"]
    jobs: dict[str, Counter[str]] = defaultdict(Counter)
    for (cloud, jobstatus), count in count_jobs(None, window, "cloud", "jobstatus").items():
        jobs[cloud][jobstatus] += count
    for row in rows:
        row["queues"] = dict(queues[row["name"]].most_common())
        row["jobs"] = dict(jobs[row["name"]].most_common())
    return rows
