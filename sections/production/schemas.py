"""The shapes of the production section's answers, for the OpenAPI document (api.schemas)."""

from __future__ import annotations

from typing import Any

from pandjango.api.schemas import (
    TextOrNumber,
    columns_of,
    dict_of,
    envelope,
    flag,
    integer,
    list_of,
    loose,
    obj,
    one_of,
    rows,
    text,
    when,
)
from pandjango.pandadb import errorcodes
from pandjango.pandadb.jobs import ALL_TABLES
from pandjango.pandadb.models import JediDatasets, JediTasks, JobColumns

from . import queries


def job() -> dict[str, Any]:
    return {
        **columns_of(JobColumns, queries.JOB_COLUMNS),
        "produserid": text("certificate DN: staff only", nullable=True),
        "table": one_of(ALL_TABLES),
    }


def example() -> Any:
    return integer("the highest pandaid of these jobs")


JOBS = rows(job())
JOB = loose({
    **job(),
    "errors": rows({"component": text(), "code": integer(), "diag": text(), "description": text()}),
    "worker": obj(
        {
            "harvesterid": text(),
            "workerid": integer(),
            "status": text("null when HARVESTER_WORKERS no longer holds the worker", nullable=True),
            "batchid": text(nullable=True),
        },
        "the Harvester worker (pilot) that ran the job, from HARVESTER_REL_JOBS_WORKERS; null when none is known",
        nullable=True,
    ),
})
SUMMARY = rows({**columns_of(JobColumns, queries.SUMMARY_GROUPS), "count": integer()})
FACETS = dict_of(
    rows({"value": TextOrNumber(allow_null=True), "count": integer()}), "one entry per field asked for, biggest count first"
)

STATUS_BODY = obj({
    "pandaid": list_of(integer(min_value=1), "at most limits.max_status_ids ids (1000 out of the box)", min_length=1),
})
STATUS = dict_of(
    loose({
        "jobstatus": text(),
        "table": one_of(ALL_TABLES),
        "modificationtime": when(nullable=False),
        "computingsite": text(nullable=True),
        "final": flag("finished, failed, cancelled or closed"),
    }),
    "keyed by pandaid",
)
# The meta of a status answer: the common one and the ids found nowhere.
STATUS_ANSWER = envelope(STATUS, meta={"missing": list_of(integer(), "ids found in no job table")})


def breakdown(column: str) -> Any:
    return rows({**columns_of(JobColumns, [column]), "count": integer(), "example_pandaid": example()})


ERRORS = loose({
    "by_code": rows({
        "component": one_of(list(errorcodes.COLUMNS)),
        "code": integer(),
        "description": text(),
        "count": integer(),
        "example_pandaid": example(),
    }),
    **{name: breakdown(column) for name, column in queries.ERROR_BREAKDOWNS.items()},
})


def task() -> dict[str, Any]:
    return columns_of(JediTasks, queries.TASK_COLUMNS)


TASKS = rows(task())
TASK = loose({
    **task(),
    "datasets": rows(columns_of(JediDatasets, queries.DATASET_COLUMNS)),
    "job_counts": rows({"jobstatus": text(), "count": integer()}),
})
