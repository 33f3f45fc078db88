from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request

from pandjango.api import errors, output, parameters
from pandjango.endpoints.base import SectionView

from . import queries, schemas
from .filtersets import QueueFilterSet, WorkerFilterSet

WINDOW_HOURS = 12


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
    data_shape = schemas.PILOTS

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
    data_shape = schemas.PILOT

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
    data_shape = schemas.QUEUES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            regions, truncated, source = queries.queues_by_region(query)
            return output.envelope(regions, window=query.window, count=len(regions), truncated=truncated, **source)

        return answer


class SubmitHostList(SectionView):
    summary = "Submission hosts (the workers' SUBMISSIONHOST) with their workers' counts in the window"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_shape = schemas.SUBMITHOSTS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows, truncated, source = queries.submithosts(query.window)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated, **source)

        return answer


class ServiceStatus(SectionView):
    summary = "Harvester instances: host, owner, version, heartbeat, stale or not, and their workers in the window"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_shape = schemas.SERVICES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            # Whole seconds: then stale is exactly seconds_since_heartbeat > the limit.
            now = timezone.now().replace(microsecond=0)
            rows, truncated, source = queries.services(query.window, now)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated, **source)

        return answer


class PilotTypeList(SectionView):
    summary = "Workers by resource type and job type in the window, with RESOURCE_TYPES' core and memory bounds"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_shape = schemas.PILOTTYPES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows, truncated, source = queries.pilottypes(query.window)
            return output.envelope(rows, window=query.window, count=len(rows), truncated=truncated, **source)

        return answer


class Info(SectionView):
    summary = "The autopilot at a glance: workers, workers without a job, Harvester instances, freshness"
    spec = parameters.QuerySpec(default_hours=WINDOW_HOURS)
    data_shape = schemas.INFO

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            now = timezone.now().replace(microsecond=0)
            data, source = queries.info(query.window, now)
            return output.envelope(data, window=query.window, **source)

        return answer
