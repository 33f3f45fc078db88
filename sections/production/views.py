from __future__ import annotations

from typing import Any

from django import forms
from rest_framework.request import Request

from pandjango import api
from pandjango.endpoints import SectionView, nullable, rows_of
from pandjango.jobfilters import JobFilterSet
from pandjango.pandadb.jobs import ALL_TABLES

from . import queries

JOB_ROW: dict[str, Any] = {c: {} for c in queries.JOB_COLUMNS} | {"table": {"type": "string"}}


def _tables(raw: str) -> list[str] | None:
    if not raw:
        return None
    wanted = raw.split("|")
    wrong = [t for t in wanted if t not in ALL_TABLES]
    if wrong:
        raise api.bad_request(f"table: {', '.join(wrong)} is not one of {'|'.join(ALL_TABLES)}", table=f"must be any of {'|'.join(ALL_TABLES)}")
    return wanted


class JobsList(SectionView):
    section = "production"
    endpoint = "production.jobs"
    path_template = "/api/production/jobs/"
    summary = "Jobs across the job tables, newest first"
    spec = api.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        is_list=True,
        sort_fields=queries.JOB_LIST_FIELDS,
        default_sort="-modificationtime",
        output_fields=queries.JOB_COLUMNS,
        default_fields=queries.JOB_LIST_FIELDS,
        staff_fields=queries.PERSONAL_COLUMNS,
        extra={"table": forms.CharField(required=False)},
        extra_help={"table": "defined|waiting|active|archived|archive"},
    )
    data_schema = rows_of(JOB_ROW)

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        result = queries.jobs_list(query, _tables(query.extra["table"]))
        return api.envelope(result.rows, window=query.window, limit=query.limit, count=len(result.rows), truncated=result.truncated)


class JobDetail(SectionView):
    section = "production"
    endpoint = "production.job"
    path_template = "/api/production/jobs/<pandaid>/"
    summary = "One job, all columns, where it was found and its decoded errors"
    path_params = {"pandaid": "int"}
    not_found = True
    data_schema = {
        "type": "object",
        "properties": {
            "pandaid": {"type": "integer"},
            "table": {"type": "string"},
            "jobstatus": {"type": "string"},
            "errors": rows_of({
                "component": {"type": "string"}, "code": {"type": "integer"},
                "diag": {"type": "string"}, "description": {"type": "string"},
            }),
            "produserid": nullable("string", description="certificate DN: staff only"),
        },
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        pandaid = kwargs["pandaid"]
        job = queries.job_detail(pandaid, show_personal=request.user.is_staff)
        if job is None:
            raise api.not_found(f"no job with pandaid {pandaid} in any job table")
        return api.envelope(job)
