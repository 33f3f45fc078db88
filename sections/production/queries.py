"""What the production section reads: jobs across the job tables, tasks, errors."""

from __future__ import annotations

from typing import Any

from pandjango.api import Query, clean_dates
from pandjango.pandadb import errorcodes
from pandjango.pandadb.jobs import JobRows, all_jobs, find_jobs
from pandjango.pandadb.models import JobColumns

JOB_COLUMNS: tuple[str, ...] = tuple(f.column for f in JobColumns._meta.local_concrete_fields if f.column)
PERSONAL_COLUMNS = ("produserid",)
JOB_LIST_FIELDS = (
    "pandaid", "jobstatus", "computingsite", "cloud", "prodsourcelabel", "produsername",
    "jeditaskid", "transformation", "processingtype", "creationtime", "starttime", "endtime",
    "modificationtime", "attemptnr", "currentpriority", "piloterrorcode", "exeerrorcode",
    "taskbuffererrorcode", "jobdispatchererrorcode", "ddmerrorcode", "pilotid", "schedulerid",
)


def jobs_list(query: Query, tables: list[str] | None) -> JobRows:
    result = all_jobs(
        query.q, query.window, fields=query.fields, tables=tables, sort=query.sort, limit=query.limit
    )
    clean_dates(result.rows)
    return result


def job_detail(pandaid: int, show_personal: bool) -> dict[str, Any] | None:
    columns = [c for c in JOB_COLUMNS if show_personal or c not in PERSONAL_COLUMNS]
    job = find_jobs([pandaid], columns).get(pandaid)
    if job is None:
        return None
    clean_dates([job])
    job["errors"] = errorcodes.decode_errors(job)
    return job
