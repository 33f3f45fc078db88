"""BigPanDA's answers built from rows already read: the selection summary and the error
summaries of a list of jobs, the dropping of retried jobs, a task's dataset figures, and the
JSON text itself (spaced as Python's json.dumps, times without a zone)."""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pandjango.pandadb import errorcodes

LIST_TIME = "%Y-%m-%dT%H:%M:%S"  # times in lists and tasks
JOB_TIME = "%Y-%m-%d %H:%M:%S"  # times of one job and its files

# The fields BigPanDA summarises above a jobs list, those a job row has.
SUMMARY_FIELDS = (
    "processingtype", "computingsite", "jobstatus", "prodsourcelabel", "produsername", "jeditaskid",
    "workinggroup", "transformation", "cloud", "homepackage", "attemptnr", "specialhandling", "reqid",
    "minramcount", "eventservice", "jobsubstatus", "nucleus", "gshare", "resource_type", "corecount",
    "actualcorecount", "schedulerid", "pilotversion", "computingelement",
)
NUMERIC_FIELDS = ("attemptnr", "jeditaskid", "actualcorecount", "corecount", "reqid", "jobsetid")
NOT_SPECIFIED = "Not specified"

# BigPanDA's names of the error components, and the job columns of their code and diag.
ERROR_COMPONENTS: tuple[tuple[str, str, str | None], ...] = (
    ("brokerage", "brokerageerrorcode", "brokerageerrordiag"),
    ("dataservice", "ddmerrorcode", "ddmerrordiag"),
    ("executor", "exeerrorcode", "exeerrordiag"),
    ("jobdispatcher", "jobdispatchererrorcode", "jobdispatchererrordiag"),
    ("pilot", "piloterrorcode", "piloterrordiag"),
    ("taskbuffer", "taskbuffererrorcode", "taskbuffererrordiag"),
    ("transform", "transexitcode", None),
    ("supervisor", "superrorcode", "superrordiag"),
)
ERROR_COLUMNS = tuple(c for _, code, diag in ERROR_COMPONENTS for c in (code, diag) if c)
# Our errorcodes module's name of each component, for the descriptions.
OUR_COMPONENT = {"dataservice": "ddm", "executor": "exe", "transform": "exe"}
UNCATEGORIZED = {"name": "Uncategorized", "id": 0}


# ---------------------------------------------------------------------------- JSON text


def dumps(data: Any, time_format: str = LIST_TIME) -> bytes:
    """JSON as BigPanDA writes it: json.dumps' spacing (clients split the text on `}, {`),
    times as naive UTC."""

    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return value.strftime(time_format)
        if isinstance(value, decimal.Decimal):  # Oracle NUMBER columns
            return int(value) if value == value.to_integral_value() else float(value)
        return str(value)

    return json.dumps(data, default=default).encode()


# ---------------------------------------------------------------------------- jobs


def as_listed(job: dict[str, Any]) -> dict[str, Any]:
    """A job row as BigPanDA lists it: the transformation without its URL, the Harvester
    instance without `harvester-`."""
    if job.get("transformation"):
        job["transformation"] = job["transformation"].split("/")[-1]
    if job.get("schedulerid"):
        job["schedulerid"] = job["schedulerid"].removeprefix("harvester-")
    return job


def drop_retried(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The jobs without those that were retried: a job is dropped when another job of the
    list names it as its PARENTID (PanDA's retry of it)."""
    retried = {job.get("parentid") for job in jobs} - {None}
    return [job for job in jobs if job["pandaid"] not in retried]


SORT_KEYS = {
    "time": "modificationtime", "create": "creationtime", "statetime": "statechangetime",
    "priority": "currentpriority", "attemptnr": "attemptnr", "pandaid": "pandaid",
}


def sort_jobs(jobs: list[dict[str, Any]], sortby: str) -> list[dict[str, Any]]:
    name, _, direction = sortby.partition("-")
    key = SORT_KEYS[name]
    present = [j for j in jobs if j.get(key) is not None]
    missing = [j for j in jobs if j.get(key) is None]
    present.sort(key=lambda j: (j[key], j["pandaid"]), reverse=direction != "ascending")
    return present + missing


def _summary_value(job: dict[str, Any], field: str) -> Any:
    if field == "pilotversion":
        pilotid = job.get("pilotid") or ""
        return pilotid.split("|")[-1] if "|" in pilotid else NOT_SPECIFIED
    value = job.get(field)
    if field == "schedulerid" and value is not None and "harvester" not in value:
        return NOT_SPECIFIED
    if value is None or value == "":
        return -1 if field in NUMERIC_FIELDS else NOT_SPECIFIED
    return value


def selection_summary(jobs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{"field": f, "list": [{"kname": value, "kvalue": count}, ...]}, ...] over the listed
    jobs: numbers in numeric order (a task's ids by count), names alphabetically."""
    counts: dict[str, dict[Any, int]] = {}
    for job in jobs:
        for field in SUMMARY_FIELDS:
            if field == "specialhandling":
                values = [v for v in (job.get(field) or "").split(",") if v and not v.startswith("tq")]
            else:
                values = [_summary_value(job, field)]
            for value in values:
                bucket = counts.setdefault(field, {})
                bucket[value] = bucket.get(value, 0) + 1
    summary = []
    for field, seen in counts.items():
        items: list[dict[str, Any]] = [{"kname": NOT_SPECIFIED if k == -1 else k, "kvalue": n} for k, n in seen.items()]
        if field == "jeditaskid":
            items.sort(key=lambda i: -i["kvalue"])
        elif field in NUMERIC_FIELDS:
            items.sort(key=lambda i: -1 if i["kname"] == NOT_SPECIFIED else int(i["kname"]))
        else:
            items.sort(key=lambda i: str(i["kname"]).lower())
        summary.append({"field": "harvesterinstance" if field == "schedulerid" else field, "list": items})
    return summary


def _code_of(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _error_entry(name: str, code_column: str, code: int, diag: str, pandaid: int) -> dict[str, Any]:
    component = OUR_COMPONENT.get(name, name)
    description = errorcodes.describe(component, code) if component in errorcodes.COLUMNS else ""
    return {
        "error": f"{name}:{code}", "codename": code_column, "codeval": code, "diag": diag,
        "desc": description, "cat": dict(UNCATEGORIZED), "example_pandaid": pandaid, "count": 0,
    }


def _errors_of(job: dict[str, Any]) -> Iterable[tuple[str, str, int, str]]:
    for name, code_column, diag_column in ERROR_COMPONENTS:
        code = _code_of(job.get(code_column))
        if code > 0:
            yield name, code_column, code, (job.get(diag_column) or "") if diag_column else ""


def error_summaries(jobs: Sequence[dict[str, Any]], test_jobs: bool = False) -> dict[str, list[dict[str, Any]]]:
    """errsByCount, errsBySite, errsByUser, errsByTask over the failed (and holding) jobs of
    the list, every job for test jobs. Each entry's diag is the first job's own text."""
    by_code: dict[str, dict[str, Any]] = {}
    by: dict[str, dict[Any, dict[str, Any]]] = {"site": {}, "user": {}, "task": {}}
    for job in jobs:
        if not test_jobs and job.get("jobstatus") not in ("failed", "holding"):
            continue
        owners = {"site": job.get("computingsite"), "user": job.get("produsername"), "task": job.get("jeditaskid")}
        for name, code_column, code, diag in _errors_of(job):
            key = f"{name}:{code}"
            by_code.setdefault(key, _error_entry(name, code_column, code, diag, job["pandaid"]))["count"] += 1
            for kind, owner in owners.items():
                if owner is None:
                    continue
                target = by[kind].setdefault(owner, {"name": owner, "errors": {}, "toterrors": 0, "toterrjobs": 0})
                target["errors"].setdefault(key, _error_entry(name, code_column, code, diag, job["pandaid"]))["count"] += 1
                target["toterrors"] += 1
        if job.get("jobstatus") == "failed":
            for kind, owner in owners.items():
                if owner is not None and owner in by[kind]:
                    by[kind][owner]["toterrjobs"] += 1
    return {
        "errsByCount": sorted(by_code.values(), key=lambda e: -e["count"]),
        "errsBySite": _owners(by["site"]),
        "errsByUser": _owners(by["user"]),
        "errsByTask": _owners(by["task"]),
    }


def _owners(found: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for key in sorted(found, key=str):
        item = found[key]
        item["errorlist"] = sorted(item["errors"].values(), key=lambda e: -e["count"])
        out.append(item)
    return sorted(out, key=lambda i: -i["toterrors"])


def only_fields(jobs: list[dict[str, Any]], fields: Sequence[str]) -> list[dict[str, Any]]:
    """Each job with only the asked fields it has; names no job has are left out, as
    BigPanDA leaves them (which keeps those the first job of its list has: a job without
    metadata first emptied every job)."""
    kept = set(fields)
    return [{k: v for k, v in job.items() if k in kept} for job in jobs]


# ---------------------------------------------------------------------------- tasks


def dataset_info(datasets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The task's progress from its primary input datasets: files, finished and failed, and
    their percentages rounded down."""
    info: dict[str, Any] = {"nfiles": 0, "nfilesfinished": 0, "nfilesfailed": 0, "pctfinished": 0, "pctfailed": 0}
    for ds in datasets:
        primary = ds.get("type") in ("input", "pseudo_input") and ds.get("masterid") is None and ds.get("status") != "removed"
        if primary and (ds.get("nfiles") or 0) > 0:
            info["nfiles"] += ds["nfiles"]
            info["nfilesfinished"] += ds.get("nfilesfinished") or 0
            info["nfilesfailed"] += ds.get("nfilesfailed") or 0
    if info["nfiles"]:
        info["pctfinished"] = 100 * info["nfilesfinished"] // info["nfiles"]
        info["pctfailed"] = 100 * info["nfilesfailed"] // info["nfiles"]
    return info


TASK_SORTS = {
    "jeditaskid-desc": ("jeditaskid", True), "jeditaskid": ("jeditaskid", True), "taskid": ("jeditaskid", True),
    "taskid-desc": ("jeditaskid", True), "jeditaskid-asc": ("jeditaskid", False), "taskid-asc": ("jeditaskid", False),
    "time-descending": ("modificationtime", True), "time-ascending": ("modificationtime", False),
    "creationdate-asc": ("creationdate", False), "priority": ("taskpriority", True), "taskname": ("taskname", False),
    "cloud": ("cloud", True), "nfiles": ("nfiles", True), "pctfinished": ("pctfinished", True), "pctfailed": ("pctfailed", True),
}


def sort_tasks(tasks: list[dict[str, Any]], sortby: str) -> list[dict[str, Any]]:
    key, reverse = TASK_SORTS[sortby]

    def value(task: dict[str, Any]) -> Any:
        return task.get("dsinfo", {}).get(key, 0) if key in ("nfiles", "pctfinished", "pctfailed") else task.get(key)

    present = [t for t in tasks if value(t) is not None]
    present.sort(key=value, reverse=reverse)
    return present + [t for t in tasks if value(t) is None]
