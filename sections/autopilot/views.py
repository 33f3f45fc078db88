from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request

from pandjango.api import errors, output, parameters
from pandjango.api.columns import column_schemas
from pandjango.api.openapi import nullable, rows_of
from pandjango.endpoints.base import SectionView
from pandjango.pandadb.models import HarvesterInstances, HarvesterWorkers, JobsActive4, ResourceTypes

from . import queries
from .filtersets import QueueFilterSet, WorkerFilterSet

COUNTS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}
WORKER_PROPERTIES = column_schemas(HarvesterWorkers, queries.WORKER_COLUMNS)
WINDOW_HOURS = 12
TRUNCATED = "true when more than limits.max_summary_rows groups of workers were counted and the rest left out"


def object_of(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object whose properties are all always present."""
    return {"type": "object", "properties": properties, "required": list(properties), **extra}


def worker_counts(description: str) -> dict[str, Any]:
    return object_of({"total": {"type": "integer"}, "by_status": COUNTS}, description=description)


IN_WINDOW = worker_counts("workers whose LASTUPDATE is in the window, by status, biggest first")


class PilotList(SectionView):
    summary = "Recent pilots (Harvester workers), newest LASTUPDATE first"
    spec = parameters.QuerySpec(
        filterset=WorkerFilterSet,
        default_hours=WINDOW_HOURS,
        is_list=True,
        sort_fields=queries.WORKER_COLUMNS,
        default_sort="-lastupdate",
        output_fields=queries.WORKER_COLUMNS,
        default_fields=queries.WORKER_LIST_FIELDS,
    )
    data_schema = rows_of(WORKER_PROPERTIES)

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            rows, truncated = queries.pilots(query)
            return output.envelope(rows, window=query.window, limit=query.limit, count=len(rows), truncated=truncated)

        return answer


class PilotDetail(SectionView):
    summary = "One pilot (a Harvester worker), all its columns, with the jobs it ran"
    not_found = True
    data_schema = object_of({
        **WORKER_PROPERTIES,
        "pandaids": {
            "type": "array",
            "items": {"type": "integer"},
            "description": f"the jobs the worker ran (HARVESTER_REL_JOBS_WORKERS), at most {queries.MAX_WORKER_JOBS}",
        },
        "pandaids_truncated": {"type": "boolean", "description": f"true when the worker ran more than {queries.MAX_WORKER_JOBS} jobs"},
        "jobs": {
            "type": "array",
            "description": "those of its jobs that a job table still holds, from whichever holds them now",
            "items": object_of({**column_schemas(JobsActive4, queries.WORKER_JOB_FIELDS), "table": {"type": "string"}}),
        },
    })

    def get(self, request: Request, harvesterid: str, workerid: int) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            if workerid >= 2**63:  # no PanDA column holds it, and SQLite fails on it
                raise errors.not_found(f"no worker {workerid} of Harvester {harvesterid!r}")
            worker = queries.pilot(harvesterid, workerid)
            if worker is None:
                raise errors.not_found(f"no worker {workerid} of Harvester {harvesterid!r}")
            return output.envelope(worker)

        return answer


class QueuesByRegion(SectionView):
    summary = "Queues by cloud and region, with their workers now and their workers in the window"
    spec = parameters.QuerySpec(filterset=QueueFilterSet, default_hours=WINDOW_HOURS)
    data_schema = {
        "type": "array",
        "items": object_of({
            "cloud": nullable("string"),
            "region": nullable("string"),
            "queues": {
                "type": "array",
                "items": object_of({
                    "nickname": {"type": "string"},
                    "siteid": nullable("string"),
                    "cloud": nullable("string"),
                    "region": nullable("string"),
                    "status": nullable("string"),
                    "harvester": nullable("string", description="the Harvester instance the queue's document names"),
                    "workers_now": worker_counts("workers now by status, as the instances last reported them (HARVESTER_WORKER_STATS)"),
                    "workers": IN_WINDOW,
                }),
            },
        }),
    }

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            regions, truncated = queries.queues_by_region(query)
            return output.envelope(regions, window=query.window, count=len(regions), truncated=truncated)

        return answer


class SubmitHostList(SectionView):
    summary = "Submission hosts (the workers' SUBMISSIONHOST) with their workers' counts in the window"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_schema = {
        "type": "array",
        "description": f"by submissionhost; {TRUNCATED} (meta.truncated)",
        "items": object_of({"submissionhost": nullable("string"), "workers": IN_WINDOW}),
    }

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows, truncated = queries.submithosts(query.window)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated)

        return answer


class ServiceStatus(SectionView):
    summary = "Harvester instances: host, owner, version, heartbeat, stale or not, and their workers in the window"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_schema = {
        "type": "array",
        "items": object_of({
            **column_schemas(HarvesterInstances, queries.INSTANCE_COLUMNS),
            "seconds_since_heartbeat": nullable("integer", description="since LASTUPDATE, the instance's heartbeat"),
            "stale": {"type": "boolean", "description": "no heartbeat for more than limits.service_stale_seconds (or none at all)"},
            "workers": IN_WINDOW,
        }),
    }

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            # Whole seconds: then stale is exactly seconds_since_heartbeat > the limit.
            now = timezone.now().replace(microsecond=0)
            rows, truncated = queries.services(query.window, now)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated)

        return answer


class PilotTypeList(SectionView):
    summary = "Workers by resource type and job type in the window, with RESOURCE_TYPES' core and memory bounds"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_schema = {
        "type": "array",
        "items": object_of({
            "resourcetype": nullable("string"),
            "jobtype": nullable("string"),
            **{
                bound: {**schema, "nullable": True}
                for bound, schema in column_schemas(ResourceTypes, queries.RESOURCE_TYPE_BOUNDS).items()
            },
            "known_resourcetype": {"type": "boolean", "description": "false: RESOURCE_TYPES has no row for this resource type"},
            "workers": IN_WINDOW,
        }),
    }

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows, truncated = queries.pilottypes(query.window)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated)

        return answer


class Info(SectionView):
    summary = "The autopilot at a glance: workers, workers without a job, Harvester instances, freshness"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_schema = object_of({
        "workers": object_of({
            **IN_WINDOW["properties"],
            "no_jobs": {"type": "integer", "description": "workers in the window that ran no job (NJOBS 0, or no job names them)"},
        }),
        "instances": object_of({
            "total": {"type": "integer"},
            "up": {"type": "integer", "description": "Harvester instances with a heartbeat within limits.service_stale_seconds"},
            "stale": {"type": "integer"},
        }),
        "newest_worker_update": nullable("string", format="date-time", description="the newest LASTUPDATE of any worker"),
    })

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            now = timezone.now().replace(microsecond=0)
            return output.envelope(queries.info(query.window, now), window=query.window)

        return answer
