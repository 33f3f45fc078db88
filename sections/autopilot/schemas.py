"""The shapes of the autopilot section's answers, for the OpenAPI document (api.schemas)."""

from __future__ import annotations

from typing import Any

from pandjango.api.schemas import columns_of, counts, flag, integer, list_of, obj, rows, text, when
from pandjango.pandadb.models import HarvesterInstances, HarvesterWorkers, JobsActive4, ResourceTypes

from . import queries

TRUNCATED = "true when more than limits.max_summary_rows groups of workers were counted and the rest left out"


def worker_counts(description: str | None = None) -> Any:
    return obj({"total": integer(), "by_status": counts()}, description=description)


def in_window() -> Any:
    return worker_counts("workers whose LASTUPDATE is in the window, by status, biggest first")


def worker() -> dict[str, Any]:
    return columns_of(HarvesterWorkers, queries.WORKER_COLUMNS)


PILOTS = rows(worker())
PILOT = obj({
    **worker(),
    "pandaids": list_of(integer(), f"the jobs the worker ran (HARVESTER_REL_JOBS_WORKERS), at most {queries.MAX_WORKER_JOBS}"),
    "pandaids_truncated": flag(f"true when the worker ran more than {queries.MAX_WORKER_JOBS} jobs"),
    "jobs": obj(
        {**columns_of(JobsActive4, queries.WORKER_JOB_FIELDS), "table": text()},
        many=True,
        description="those of its jobs that a job table still holds, from whichever holds them now",
    ),
})
QUEUES = obj(
    {
        "cloud": text(nullable=True),
        "region": text(nullable=True),
        "queues": obj(
            {
                "nickname": text(),
                "siteid": text(nullable=True),
                "cloud": text(nullable=True),
                "region": text(nullable=True),
                "status": text(nullable=True),
                "harvester": text("the Harvester instance the queue's document names", nullable=True),
                "workers_now": worker_counts("workers now by status, as the instances last reported them (HARVESTER_WORKER_STATS)"),
                "workers": in_window(),
            },
            many=True,
        ),
    },
    many=True,
)
SUBMITHOSTS = obj(
    {"submissionhost": text(nullable=True), "workers": in_window()}, many=True, description=f"by submissionhost; {TRUNCATED} (meta.truncated)"
)
SERVICES = obj(
    {
        **columns_of(HarvesterInstances, queries.INSTANCE_COLUMNS),
        "seconds_since_heartbeat": integer("since LASTUPDATE, the instance's heartbeat", nullable=True),
        "stale": flag("no heartbeat for more than limits.service_stale_seconds (or none at all)"),
        "workers": in_window(),
    },
    many=True,
)
PILOTTYPES = obj(
    {
        "resourcetype": text(nullable=True),
        "jobtype": text(nullable=True),
        **columns_of(ResourceTypes, queries.RESOURCE_TYPE_BOUNDS, nullable=True),
        "known_resourcetype": flag("false: RESOURCE_TYPES has no row for this resource type"),
        "workers": in_window(),
    },
    many=True,
)
INFO = obj({
    "workers": obj({
        "total": integer(),
        "by_status": counts(),
        "no_jobs": integer("workers in the window that ran no job (NJOBS 0, or no job names them)"),
    }),
    "instances": obj({
        "total": integer(),
        "up": integer("Harvester instances with a heartbeat within limits.service_stale_seconds"),
        "stale": integer(),
    }),
    "newest_worker_update": when("the newest LASTUPDATE of any worker"),
})
