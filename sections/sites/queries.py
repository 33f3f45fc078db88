"""What the sites section reads: the queues (SCHEDCONFIG_JSON documents, parsed and cached by
pandadb.queues and filtered here in Python), their clouds, and the job counts, errors and
Harvester workers that go with them. Jobs and workers are counted and grouped in the
database, one GROUP BY per table, and the per-table counts summed."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Max, Q

from pandjango.api.parameters import Query
from pandjango.pandadb import errorcodes
from pandjango.pandadb.firstrows import at_most
from pandjango.pandadb.jobs import FINAL_TABLES, Window, job_querysets
from pandjango.pandadb.models import HarvesterWorkers
from pandjango.pandadb.queues import all_queues, matching_queues, queue_document, summary_of

QUEUE_LIST_FIELDS = (
    "nickname", "atlas_site", "cloud", "region", "tier", "status", "state", "type", "resource_type",
    "corecount", "maxtime", "memory", "harvester", "comment", "lastmod", "document_error",
)
TOP_ERRORS = 20
# Keys parse_document adds to a document: the detail shows them beside it, not in it.
ADDED_KEYS = ("last_update", "document_error")


def sorted_queues(queues: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """By the `sort` key (`-key`: descending), queues without it last either way, ties by
    nickname. The queues come by nickname, and Python's sort keeps that order among equals."""
    key = sort.lstrip("-")
    present = [q for q in queues if q[key] is not None]
    present.sort(key=lambda q: q[key], reverse=sort.startswith("-"))
    return present + [q for q in queues if q[key] is None]


def queue_list(query: Query) -> tuple[list[dict[str, Any]], bool]:
    """The queues matching the filters, sorted, at most query.limit with the asked fields;
    and whether more exist."""
    queues = sorted_queues(matching_queues(query.filters), query.sort)
    kept, truncated = at_most(queues, query.limit)
    return [{f: q[f] for f in query.fields} for q in kept], truncated


def queue_detail(nickname: str, window: Window) -> dict[str, Any] | None:
    """One queue: its listed keys, its whole document, and its jobs, errors and workers in
    the window. A broken document gives what it has, and says what was wrong."""
    document = queue_document(nickname)
    if document is None:
        return None
    at_queue = Q(computingsite=nickname)
    return {
        **summary_of(document),
        "document": {k: v for k, v in document.items() if k not in ADDED_KEYS},
        "jobs": {status: count for (status,), count in count_jobs(at_queue, window, "jobstatus").most_common()},
        "errors": frequent_errors(at_queue, window),
        "workers": workers_by_status(nickname, window),
    }


def workers_by_status(nickname: str, window: Window) -> dict[str, int]:
    """The queue's Harvester workers updated in the window, by status, most first."""
    in_window = HarvesterWorkers.objects.filter(computingsite=nickname, lastupdate__gte=window.start, lastupdate__lt=window.end)
    groups = in_window.values("status").annotate(count=Count("workerid")).order_by()
    return dict(Counter({row["status"]: row["count"] for row in groups}).most_common())


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
    for _table, qs in job_querysets(q & Q(jobstatus="failed"), window, tables=FINAL_TABLES):
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
    """Every cloud the queues (their `cloud` key) or the jobs in the window (their CLOUD
    column) name, by name, with the queues counted by status and the jobs by jobstatus.
    Queues whose document names no cloud, and jobs without one, are under null, last."""
    queues: dict[str | None, Counter[str | None]] = defaultdict(Counter)
    for queue in all_queues():
        queues[queue["cloud"]][queue["status"]] += 1
    jobs: dict[str | None, Counter[str]] = defaultdict(Counter)
    for (cloud, jobstatus), count in count_jobs(None, window, "cloud", "jobstatus").items():
        jobs[cloud][jobstatus] += count
    names = sorted(set(queues) | set(jobs), key=lambda c: (c is None, c or ""))
    return [
        {"cloud": name, "queues": dict(queues[name].most_common()), "jobs": dict(jobs[name].most_common())}
        for name in names
    ]
