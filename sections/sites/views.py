from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from pandjango import api
from pandjango.columns import column_schemas
from pandjango.endpoints import SectionView, rows_of
from pandjango.pandadb import errorcodes
from pandjango.pandadb.models import CloudConfig, SchedConfig

from . import queries
from .filtersets import QueueFilterSet

COUNTS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}
QUEUE_PROPERTIES = column_schemas(SchedConfig, queries.QUEUE_COLUMNS)
QUEUE_PROPERTIES["email"]["description"] = "personal data: only for signed-in staff"
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
    section = "sites"
    endpoint = "sites.list"
    path_template = "/api/sites/"
    summary = "PanDA queues (SCHEDCONFIG)"
    spec = api.QuerySpec(
        filterset=QueueFilterSet,
        is_list=True,
        sort_fields=queries.QUEUE_SORT_FIELDS,
        default_sort="nickname",
        output_fields=queries.QUEUE_COLUMNS,
        default_fields=queries.QUEUE_LIST_FIELDS,
        staff_fields=queries.PERSONAL_COLUMNS,
    )
    data_schema = rows_of(QUEUE_PROPERTIES)

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        rows, truncated = queries.queue_list(query)
        return api.envelope(rows, limit=query.limit, count=len(rows), truncated=truncated)


class QueueDetail(SectionView):
    section = "sites"
    endpoint = "sites.queue"
    path_template = "/api/sites/<nickname>/"
    summary = "One queue: its configuration, its jobs by jobstatus and its most frequent errors in the window"
    spec = api.QuerySpec(default_hours=12)
    path_params = {"nickname": "str"}
    not_found = True
    data_schema = {
        "type": "object",
        "properties": {
            **QUEUE_PROPERTIES,
            "jobs": {**COUNTS, "description": "jobs at this queue in the window, by jobstatus, most first"},
            "errors": {
                "type": "array",
                "items": ERROR_ROW,
                "description": f"the failed jobs' {queries.TOP_ERRORS} most frequent error codes in the window",
            },
        },
        "required": ["nickname", "jobs", "errors"],
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        nickname = kwargs["nickname"]
        assert query.window is not None
        queue = queries.queue_detail(nickname, query.window, show_personal=request.user.is_staff)
        if queue is None:
            raise api.not_found(f"no queue with nickname {nickname!r} in SCHEDCONFIG")
        return api.envelope(queue, window=query.window)


class CloudList(SectionView):
    section = "sites"
    endpoint = "sites.clouds"
    path_template = "/api/sites/clouds/"
    summary = "Clouds (CLOUDCONFIG) with their queues by status and their jobs by jobstatus in the window"
    spec = api.QuerySpec(default_hours=12)
    data_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                **column_schemas(CloudConfig, queries.CLOUD_COLUMNS),
                "queues": {**COUNTS, "description": "queues of this cloud in SCHEDCONFIG, by status"},
                "jobs": {**COUNTS, "description": "jobs of this cloud (their CLOUD column) in the window, by jobstatus"},
            },
            "required": ["name", "queues", "jobs"],
        },
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        assert query.window is not None
        rows = queries.clouds(query.window)
        return api.envelope(rows, window=query.window, count=len(rows))
