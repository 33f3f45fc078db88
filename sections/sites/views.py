from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from pandjango.api import errors, output, parameters
from pandjango.api.openapi import nullable, rows_of
from pandjango.endpoints.base import SectionView
from pandjango.pandadb import errorcodes
from pandjango.pandadb.queues import NUMBER_KEYS, QUEUE_KEYS, TEXT_KEYS

from . import queries
from .filtersets import QueueFilterSet

COUNTS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}
QUEUE_PROPERTIES: dict[str, Any] = {
    **{key: nullable("string") for key in TEXT_KEYS},
    "nickname": {"type": "string", "description": "the queue (PANDA_QUEUE, the jobs' computingsite)"},
    **{key: nullable("number") for key in NUMBER_KEYS},
    "lastmod": nullable("string", description="when CRIC last changed the queue, as the document writes it"),
    "last_update": nullable("string", format="date-time", description="when PanDA last stored the document"),
    "document_error": nullable("string", description="what was wrong with the document (broken JSON...), or null"),
}
ERROR_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "component": {"type": "string", "enum": list(errorcodes.COLUMNS)},
        "code": {"type": "integer"},
        "description": {"type": "string"},
        "count": {"type": "integer"},
        "example_pandaid": {"type": "integer"},
    },
    "required": ["component", "code", "description", "count", "example_pandaid"],
}


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
    data_schema = rows_of(QUEUE_PROPERTIES)

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
    data_schema = {
        "type": "object",
        "properties": {
            **QUEUE_PROPERTIES,
            "document": {
                "type": "object",
                "additionalProperties": True,
                "description": "the queue's whole SCHEDCONFIG_JSON document, as CRIC wrote it ({} when it is broken)",
            },
            "jobs": {**COUNTS, "description": "jobs at this queue in the window, by jobstatus, most first"},
            "errors": {
                "type": "array",
                "items": ERROR_ROW,
                "description": f"the failed jobs' {queries.TOP_ERRORS} most frequent error codes in the window",
            },
            "workers": {**COUNTS, "description": "Harvester workers at this queue updated in the window, by status, most first"},
        },
        "required": [*QUEUE_KEYS, "document", "jobs", "errors", "workers"],
    }

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
    data_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "cloud": nullable("string", description="the queues' `cloud` key, the jobs' CLOUD; null: none named"),
                "queues": {**COUNTS, "description": "queues of this cloud, by status (\"null\": a document without one)"},
                "jobs": {**COUNTS, "description": "jobs of this cloud (their CLOUD column) in the window, by jobstatus"},
            },
            "required": ["cloud", "queues", "jobs"],
        },
    }

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            rows = queries.clouds(query.window)
            return output.envelope(rows, window=query.window, count=len(rows))

        return answer
