from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from pandjango.api import errors, output, parameters
from pandjango.endpoints.base import SectionView
from pandjango.pandadb.queues import QUEUE_KEYS

from . import queries, schemas
from .filtersets import QueueFilterSet


class QueueList(SectionView):
    summary = "PanDA queues (SCHEDCONFIG_JSON)"
    spec = parameters.QuerySpec(
        filterset=QueueFilterSet,
        is_list=True,
        sort_fields=QUEUE_KEYS,
        default_sort="nickname",
        output_fields=QUEUE_KEYS,
        default_fields=queries.QUEUE_LIST_FIELDS,
    )
    data_shape = schemas.QUEUES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            rows, truncated = queries.queue_list(query)
            return output.envelope(rows, limit=query.limit, count=len(rows), truncated=truncated)

        return answer


class QueueDetail(SectionView):
    summary = "One queue: its document, its jobs by jobstatus, its most frequent errors and its workers by status in the window"
    spec = parameters.QuerySpec(default_hours=12)
    not_found = True
    data_shape = schemas.QUEUE

    def get(self, request: Request, nickname: str) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            queue = queries.queue_detail(nickname, query.window)
            if queue is None:
                raise errors.not_found(f"no queue with nickname {nickname!r} in SCHEDCONFIG_JSON")
            return output.envelope(queue, window=query.window)

        return answer


class CloudList(SectionView):
    summary = "Clouds (as the queues and jobs name them) with their queues by status and their jobs by jobstatus in the window"
    spec = parameters.QuerySpec(default_hours=12)
    data_shape = schemas.CLOUDS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows = queries.clouds(query.window)
            return output.envelope(rows, window=query.window, count=len(rows))

        return answer
