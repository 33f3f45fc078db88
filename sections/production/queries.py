"""What the production section reads: jobs across the job tables, tasks, errors.

Counts are made by the database (GROUP BY per job table) and only the per-group totals
come back to Python, where the tables' totals are added up; job rows are never loaded to be
counted. The jobs summary and the errors summary send one statement of the raw SQL registry
instead (sql.py: a GROUP BY over the union of the job tables) whenever the request's filters
are plain values (fromrequest.job_params); a wildcard or another filter takes the ORM path, which
gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet

from pandjango.api.output import clean_dates, max_summary_rows
from pandjango.api.parameters import Query
from pandjango.pandadb import errorcodes
from pandjango.pandadb.firstrows import at_most, first, read_size
from pandjango.pandadb.jobs import FINAL_STATES, FINAL_TABLES, JobRows, Window, all_jobs, find_jobs, job_querysets
from pandjango.pandadb.models import HarvesterRelJobsWorkers, HarvesterWorkers, JediDatasets, JediTasks, JobColumns
from pandjango.rawsql import fromrequest, running

from . import rollups, sql
from .sql import ERROR_BREAKDOWNS, SUMMARY_GROUPS

# A job's columns as the answers hold them (the list's fields= offers these, the detail has them
# all): a column PanDA adds to the job tables is not answered until it is named here.
JOB_COLUMNS = (
    "pandaid", "jobdefinitionid", "schedulerid", "pilotid", "batchid", "parentid", "jobsetid", "jobname",
    "creationtime", "modificationtime", "statechangetime", "starttime", "endtime", "creationhost", "modificationhost",
    "prodsourcelabel", "produsername", "produserid", "computingsite", "computingelement", "cloud", "nucleus", "vo",
    "workinggroup", "countrygroup", "processingtype", "gshare", "resource_type", "eventservice", "transformation",
    "atlasrelease", "homepackage", "cmtconfig", "jobstatus", "jobsubstatus", "commandtopilot", "transexitcode",
    "specialhandling", "lockedby", "workqueue_id", "jobexecutionid", "jeditaskid", "taskid", "reqid",
    "assignedpriority", "currentpriority", "attemptnr", "maxattempt", "piloterrorcode", "piloterrordiag",
    "exeerrorcode", "exeerrordiag", "superrorcode", "superrordiag", "ddmerrorcode", "ddmerrordiag",
    "brokerageerrorcode", "brokerageerrordiag", "jobdispatchererrorcode", "jobdispatchererrordiag",
    "taskbuffererrorcode", "taskbuffererrordiag", "cpuconsumptiontime", "corecount", "actualcorecount", "hs06",
    "hs06sec", "maxrss", "maxpss", "maxvmem", "minramcount", "maxdiskcount", "maxwalltime", "nevents",
    "ninputfiles", "inputfilebytes", "outputfilebytes", "proddblock", "destinationdblock", "destinationse",
    "sourcesite", "destinationsite",
)
PERSONAL_COLUMNS = ("produserid",)
JOB_LIST_FIELDS = (
    "pandaid", "jobstatus", "computingsite", "cloud", "prodsourcelabel", "produsername",
    "jeditaskid", "transformation", "processingtype", "creationtime", "starttime", "endtime",
    "modificationtime", "attemptnr", "currentpriority", "piloterrorcode", "exeerrorcode",
    "taskbuffererrorcode", "jobdispatchererrorcode", "ddmerrorcode", "pilotid", "schedulerid",
)

FACET_FIELDS = (
    *SUMMARY_GROUPS, "transformation", "jobsubstatus", "workinggroup", "gshare", "resource_type",
    "nucleus", "atlasrelease", "computingelement", "vo", "attemptnr", "corecount", "reqid",
)
DEFAULT_FACETS = ("jobstatus", "produsername", "prodsourcelabel", "transformation", "computingsite")
STATUS_FIELDS = ("jobstatus", "modificationtime", "computingsite")
MAX_PANDAID = 10**11 - 1  # PANDAID is NUMBER(11)
# The job's pilot, as shown with the job: the key of its Harvester worker and a little more.
WORKER_KEY = ("harvesterid", "workerid")
WORKER_FIELDS = (*WORKER_KEY, "status", "batchid")

# A task's columns as the answers hold them, named as JOB_COLUMNS are.
TASK_COLUMNS = (
    "jeditaskid", "taskname", "status", "superstatus", "username", "creationdate", "modificationtime", "starttime",
    "endtime", "reqid", "parent_tid", "cloud", "site", "prodsourcelabel", "workinggroup", "vo", "tasktype",
    "processingtype", "campaign", "taskpriority", "currentpriority", "corecount", "progress", "failurerate",
    "errordialog", "workqueue_id",
)
TASK_LIST_FIELDS = (
    "jeditaskid", "taskname", "status", "username", "creationdate", "modificationtime", "tasktype",
    "campaign", "cloud", "prodsourcelabel", "processingtype", "workinggroup", "reqid",
    "currentpriority", "progress", "failurerate",
)
TASK_SORT_FIELDS = (
    "jeditaskid", "taskname", "status", "username", "creationdate", "modificationtime", "starttime",
    "endtime", "reqid", "currentpriority", "taskpriority", "progress", "failurerate",
)
DATASET_COLUMNS = ("datasetid", "datasetname", "type", "status", "nfiles", "nfilesfinished", "nfilesfailed", "nevents")


# ---------------------------------------------------------------------------- jobs


def jobs_list(query: Query, tables: list[str] | None) -> JobRows:
    result = all_jobs(
        query.q, query.window, fields=query.fields, tables=tables, sort=query.sort, limit=query.limit
    )
    clean_dates(result.rows)
    return result


def job_detail(pandaid: int, show_personal: bool) -> dict[str, Any] | None:
    if pandaid > MAX_PANDAID:
        return None  # no table can hold it, and some databases fail on such a number
    columns = [c for c in JOB_COLUMNS if show_personal or c not in PERSONAL_COLUMNS]
    job = find_jobs([pandaid], columns).get(pandaid)
    if job is None:
        return None
    clean_dates([job])
    job["errors"] = errorcodes.decode_errors(job)
    job["worker"] = job_worker(pandaid)
    return job


def job_worker(pandaid: int) -> dict[str, Any] | None:
    """The Harvester worker that ran the job, found through HARVESTER_REL_JOBS_WORKERS by
    PANDAID (HARVREL_JOBWORKERS_PANDAID_IDX); the newest link when several workers had it.
    A worker HARVESTER_WORKERS no longer holds keeps its key, with null status and batchid."""
    links = HarvesterRelJobsWorkers.objects.filter(pandaid=pandaid)
    link = links.order_by(F("lastupdate").desc(nulls_last=True), "-workerid").values(*WORKER_KEY).first()
    if link is None:
        return None
    worker = HarvesterWorkers.objects.filter(**link).values(*WORKER_FIELDS).first()
    return worker or {**dict.fromkeys(WORKER_FIELDS), **link}


@dataclass
class Group:
    count: int = 0
    example_pandaid: int | None = None  # the newest job of the group (highest pandaid)


def _group_counts(
    querysets: Sequence[QuerySet[JobColumns]], columns: Sequence[str], example: bool = False, limit: int | None = None
) -> dict[tuple[Any, ...], Group]:
    """Jobs counted by the values of `columns`: one GROUP BY per table, added up here. With
    `limit` and one table, only its `limit` largest groups are read; over several tables
    every group is, since a table's small group may add up to a large one (the raw SQL
    registry adds them up in the database and cuts there)."""
    aggregates: dict[str, Any] = {"n": Count("pandaid")}
    if example:
        aggregates["example"] = Max("pandaid")
    groups: dict[tuple[Any, ...], Group] = {}
    for qs in querysets:
        counted = qs.order_by().values(*columns).annotate(**aggregates)
        for row in counted.order_by("-n")[:limit] if limit is not None and len(querysets) == 1 else counted:
            group = groups.setdefault(tuple(row[c] for c in columns), Group())
            group.count += row["n"]
            if example and (group.example_pandaid is None or row["example"] > group.example_pandaid):
                group.example_pandaid = row["example"]
    return groups


def _value_order(values: Iterable[Any]) -> tuple[tuple[bool, Any], ...]:
    """Sort key for group values that may be null (nulls last)."""
    return tuple((v is None, "" if v is None else v) for v in values)


def _by_count(groups: dict[tuple[Any, ...], Group]) -> list[tuple[tuple[Any, ...], Group]]:
    return sorted(groups.items(), key=lambda item: (-item[1].count, _value_order(item[0])))


def _from_rollup(groups: dict[tuple[Any, ...], list[int]]) -> dict[tuple[Any, ...], Group]:
    return {key: Group(n, example or None) for key, (n, example) in groups.items()}


def job_counts(
    q: Q | None, window: Window | None, tables: list[str] | None, groupby: Sequence[str], limit: int | None = None
) -> list[dict[str, Any]]:
    """[{<groupby columns>..., "count": n}], biggest first."""
    querysets = [qs for _, qs in job_querysets(q, window, tables)]
    return _count_rows(groupby, _group_counts(querysets, groupby, limit=limit))


def _count_rows(groupby: Sequence[str], groups: dict[tuple[Any, ...], Group]) -> list[dict[str, Any]]:
    return [{**dict(zip(groupby, key, strict=True)), "count": group.count} for key, group in _by_count(groups)]


def jobs_summary(query: Query, tables: list[str] | None, groupby: Sequence[str]) -> tuple[list[dict[str, Any]], bool, dict[str, Any]]:
    """The counts, at most limits.max_summary_rows of them (the largest), whether more
    exist, and where they were read (meta.source, meta.fresh_as_of): rollups or directly."""
    limit = max_summary_rows()
    params = fromrequest.job_params(query)
    rolled = rollups.job_groups(query, tables, groupby)
    if rolled is not None:
        return (*at_most(_count_rows(groupby, _from_rollup(rolled[0][0])), limit), rolled[1])
    if params is not None:
        rows = running.run(sql.jobs_summary.name, **params, tables=tables, groupby=list(groupby), max_rows=read_size(limit))
    else:
        rows = job_counts(query.q, query.window, tables, groupby, limit=read_size(limit))
    return (*at_most(rows, limit), rollups.direct())


def jobs_facets(query: Query, tables: list[str] | None, fields: Sequence[str]) -> tuple[dict[str, list[dict[str, Any]]], bool, dict[str, Any]]:
    """Per field, the counts of each of its values, biggest first, at most
    limits.max_summary_rows of them: one GROUP BY per field and table (or from rollups).
    And whether a field's list was cut, and the answer's source."""
    limit = max_summary_rows()
    rolled = rollups.facet_groups(query, tables, fields)
    querysets = [qs for _, qs in job_querysets(query.q, query.window, tables)] if rolled is None else []
    facets: dict[str, list[dict[str, Any]]] = {}
    truncated = False
    for i, name in enumerate(fields):
        groups = _from_rollup(rolled[0][i]) if rolled is not None else _group_counts(querysets, [name], limit=read_size(limit))
        counted = [{"value": key[0], "count": group.count} for key, group in _by_count(groups)]
        facets[name], cut = at_most(counted, limit)
        truncated |= cut
    return facets, truncated, rolled[1] if rolled is not None else rollups.direct()


def jobs_status(pandaids: Sequence[int]) -> tuple[dict[str, dict[str, Any]], list[int]]:
    """The state of each job, keyed by pandaid as a string, and the ids found in no table."""
    found = find_jobs(pandaids, STATUS_FIELDS)
    data: dict[str, dict[str, Any]] = {}
    missing: list[int] = []
    for pandaid in dict.fromkeys(pandaids):
        job = found.get(pandaid)
        if job is None:
            missing.append(pandaid)
            continue
        data[str(pandaid)] = {
            "jobstatus": job["jobstatus"],
            "table": job["table"],
            "modificationtime": job["modificationtime"],
            "computingsite": job["computingsite"],
            "final": job["jobstatus"] in FINAL_STATES,
        }
    return data, missing


# ---------------------------------------------------------------------------- errors


def _final_state_tables(tables: list[str] | None) -> list[str]:
    return [t for t in (tables or FINAL_TABLES) if t in FINAL_TABLES]


def _failed_querysets(query: Query, tables: list[str] | None) -> list[QuerySet[JobColumns]]:
    wanted = _final_state_tables(tables)
    if not wanted:
        return []
    return [qs for _, qs in job_querysets(query.q & Q(jobstatus="failed"), query.window, wanted)]


def _failed_params(query: Query) -> dict[str, Any] | None:
    """The raw parameters of the failed-job queries, which fix JOBSTATUS themselves: a
    jobstatus filter only has to let "failed" through."""
    params = fromrequest.job_params(query)
    params = fromrequest.narrowed(params, "jobstatus", ["failed"]) if params is not None else None
    if params is not None:
        del params["jobstatus"]
    return params


CODE_COLUMNS = [code for code, _ in errorcodes.COLUMNS.values()]


def failed_jobs_by_code(querysets: Sequence[QuerySet[JobColumns]]) -> list[dict[str, Any]]:
    """One entry per (component, code). A job carries up to seven codes: one GROUP BY on all
    seven per table gives the few combinations seen, which are then split per component."""
    return _by_code(_group_counts(querysets, CODE_COLUMNS, example=True))


def _by_code(combinations: dict[tuple[Any, ...], Group]) -> list[dict[str, Any]]:
    by_code: dict[tuple[Any, ...], Group] = {}
    for combination, group in combinations.items():
        for component, code in zip(errorcodes.COLUMNS, combination, strict=True):
            if not code:
                continue
            entry = by_code.setdefault((component, code), Group())
            entry.count += group.count
            if entry.example_pandaid is None or (group.example_pandaid or 0) > entry.example_pandaid:
                entry.example_pandaid = group.example_pandaid
    return [
        {
            "component": component,
            "code": code,
            "description": errorcodes.describe(component, code),
            "count": entry.count,
            "example_pandaid": entry.example_pandaid,
        }
        for (component, code), entry in _by_count(by_code)
    ]


def _breakdown(column: str, groups: dict[tuple[Any, ...], Group]) -> list[dict[str, Any]]:
    return [{column: key[0], "count": group.count, "example_pandaid": group.example_pandaid} for key, group in _by_count(groups)]


def errors_summary(query: Query, tables: list[str] | None) -> tuple[dict[str, list[dict[str, Any]]], bool, dict[str, Any]]:
    """The failed jobs by code, site, user and task, each at most limits.max_summary_rows
    rows (the largest), whether one of them was cut, and the answer's source."""
    limit = max_summary_rows()
    params = _failed_params(query)
    rolled = rollups.failed_groups(query, tables, [CODE_COLUMNS, *([column] for column in ERROR_BREAKDOWNS.values())])
    if rolled is not None:
        codes, *breakdowns = (_from_rollup(groups) for groups in rolled[0])
        summary = {"by_code": _by_code(codes)}
        for (name, column), groups in zip(ERROR_BREAKDOWNS.items(), breakdowns, strict=True):
            summary[name] = _breakdown(column, groups)
    elif params is not None:
        summary = _errors_summary_raw(params, _final_state_tables(tables), read_size(limit))
    else:
        querysets = _failed_querysets(query, tables)
        summary = {"by_code": failed_jobs_by_code(querysets)}
        for name, column in ERROR_BREAKDOWNS.items():
            summary[name] = _breakdown(column, _group_counts(querysets, [column], example=True, limit=read_size(limit)))
    truncated = False
    for name, rows in summary.items():
        summary[name], cut = at_most(rows, limit)
        truncated |= cut
    return summary, truncated, rolled[1] if rolled is not None else rollups.direct()


def _errors_summary_raw(params: dict[str, Any], tables: list[str], max_rows: int) -> dict[str, list[dict[str, Any]]]:
    if not tables:
        return {"by_code": [], **{name: [] for name in ERROR_BREAKDOWNS}}
    summary = {"by_code": running.run(sql.failed_jobs_by_code.name, **params, tables=tables, max_rows=max_rows)}
    for name, column in ERROR_BREAKDOWNS.items():
        summary[name] = running.run(sql.failed_jobs_by.name, **params, tables=tables, groupby=column, max_rows=max_rows)
    return summary


# ---------------------------------------------------------------------------- tasks


def tasks_list(query: Query) -> tuple[list[dict[str, Any]], bool]:
    """Tasks modified in the window, in the wanted order, and whether more exist."""
    qs = JediTasks.objects.filter(query.q)
    if query.window is not None:
        qs = qs.filter(modificationtime__gte=query.window.start, modificationtime__lt=query.window.end)
    order = [query.sort] if query.sort.lstrip("-") == "jeditaskid" else [query.sort, "-jeditaskid"]
    rows, truncated = first(qs.order_by(*order).values(*query.fields), query.limit)
    clean_dates(rows)
    return rows, truncated


def task_detail(jeditaskid: int) -> dict[str, Any] | None:
    """The task, its datasets, and its jobs counted by jobstatus in every job table."""
    task = JediTasks.objects.filter(jeditaskid=jeditaskid).values(*TASK_COLUMNS).first()
    if task is None:
        return None
    datasets = list(JediDatasets.objects.filter(jeditaskid=jeditaskid).order_by("datasetid").values(*DATASET_COLUMNS))
    clean_dates([task])
    task["datasets"] = datasets
    task["job_counts"] = job_counts(Q(jeditaskid=jeditaskid), None, None, ["jobstatus"])
    return task
