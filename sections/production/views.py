from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from pandjango.api import errors, output, parameters
from pandjango.api.jobfilters import JobFilterSet
from pandjango.api.openapi import ERROR_SCHEMA, schema_of
from pandjango.endpoints.base import SectionView
from pandjango.pandadb.jobs import ALL_TABLES

from . import queries, schemas
from .filtersets import TaskFilterSet

# ---------------------------------------------------------------------------- parameters


class JobTables(forms.Field):
    """table=active|archived: which job tables to read (all of them in the window when absent)."""

    def __init__(self) -> None:
        super().__init__(required=False, help_text="|".join(ALL_TABLES))

    def clean(self, value: Any) -> list[str] | None:
        if not value:
            return None
        wanted = list(dict.fromkeys(str(value).split("|")))
        wrong = [t for t in wanted if t not in ALL_TABLES]
        if wrong:
            raise ValidationError(f"{', '.join(wrong) or '(empty)'}: must be any of {'|'.join(ALL_TABLES)}")
        return wanted


class NameList(forms.Field):
    """A comma-separated choice of names from a fixed set (groupby=, fields=)."""

    def __init__(self, choices: Sequence[str], default: Sequence[str]) -> None:
        super().__init__(required=False, initial=",".join(default), help_text="comma-separated: " + ", ".join(choices))
        self.choices = tuple(choices)

    def clean(self, value: Any) -> list[str]:
        names = [n.strip() for n in str(value or "").split(",") if n.strip()]
        wrong = [n for n in names if n not in self.choices]
        if wrong or not names:
            unknown = f"unknown: {', '.join(wrong)}; " if wrong else ""
            raise ValidationError(f"{unknown}must be a comma-separated list of {', '.join(self.choices)}")
        return list(dict.fromkeys(names))


class PandaIdList(forms.Field):
    """pandaid=1,2,3 in the query string, or the list of {"pandaid": [1, 2, 3]} in a POST body."""

    def __init__(self) -> None:
        super().__init__(required=True, help_text="comma-separated PandaIDs (at most limits.max_status_ids)")

    def clean(self, value: Any) -> list[int]:
        if value is None or value == "" or value == []:
            raise ValidationError("give at least one pandaid")
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ValidationError("must be a list of PandaIDs")
        maximum = settings.PANDJANGO["limits"]["max_status_ids"]
        if len(items) > maximum:
            raise ValidationError(f"at most {maximum} ids (limits.max_status_ids), not {len(items)}")
        return list(dict.fromkeys(_pandaid(item) for item in items))


def _pandaid(item: Any) -> int:
    if isinstance(item, str) and item.strip().isascii() and item.strip().isdigit():
        item = int(item.strip())
    if isinstance(item, int) and not isinstance(item, bool) and 0 < item <= queries.MAX_PANDAID:
        return item
    raise ValidationError(f"{item!r} is not a PandaID (a positive integer)")


TABLE_HELP = {"table": "defined|waiting|active|archived|archive: only these job tables"}


# ---------------------------------------------------------------------------- jobs


class JobsList(SectionView):
    summary = "Jobs across the job tables, newest first"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        is_list=True,
        sort_fields=queries.JOB_LIST_FIELDS,
        default_sort="-modificationtime",
        output_fields=queries.JOB_COLUMNS,
        default_fields=queries.JOB_LIST_FIELDS,
        staff_fields=queries.PERSONAL_COLUMNS,
        extra={"table": JobTables()},
        extra_help=TABLE_HELP,
    )
    data_shape = schemas.JOBS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            result = queries.jobs_list(query, query.extra["table"])
            return output.envelope(result.rows, window=query.window, limit=query.limit, count=len(result.rows), truncated=result.truncated)

        return answer


class JobDetail(SectionView):
    summary = "One job, all columns, where it was found and its decoded errors"
    not_found = True
    data_shape = schemas.JOB

    def get(self, request: Request, pandaid: int) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            job = queries.job_detail(pandaid, show_personal=request.user.is_staff)
            if job is None:
                raise errors.not_found(f"no job with pandaid {pandaid} in any job table")
            return output.envelope(job)

        return answer


class JobsSummary(SectionView):
    summary = "Job counts in the window, grouped by jobstatus or other columns"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        extra={"table": JobTables(), "groupby": NameList(queries.SUMMARY_GROUPS, ["jobstatus"])},
        extra_help=TABLE_HELP | {"groupby": "comma-separated, default jobstatus: " + ", ".join(queries.SUMMARY_GROUPS)},
    )
    data_shape = schemas.SUMMARY

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            groupby = query.extra["groupby"]
            rows, truncated, source = queries.jobs_summary(query, query.extra["table"], groupby)
            return output.envelope(
                rows, window=query.window, limit=output.max_summary_rows(), count=len(rows), truncated=truncated,
                groupby=groupby, total=sum(r["count"] for r in rows), **source,
            )

        return answer


class JobsFacets(SectionView):
    summary = "The selection summary of a jobs list: per field, the count of each value"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        extra={"table": JobTables(), "fields": NameList(queries.FACET_FIELDS, queries.DEFAULT_FACETS)},
        extra_help=TABLE_HELP | {"fields": f"comma-separated, default {','.join(queries.DEFAULT_FACETS)}: " + ", ".join(queries.FACET_FIELDS)},
    )
    data_shape = schemas.FACETS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            facets, truncated, source = queries.jobs_facets(query, query.extra["table"], query.extra["fields"])
            return output.envelope(facets, window=query.window, limit=output.max_summary_rows(), truncated=truncated, **source)

        return answer


class SessionWithoutCsrf(SessionAuthentication):
    """The status POST only reads, so it needs no CSRF token: a pipeline posts its ids with
    no session at all, and a signed-in browser session still counts for a beta section."""

    def enforce_csrf(self, request: Request) -> None:
        return None


class SessionWithoutCsrfScheme(OpenApiAuthenticationExtension):
    """Describes it in the OpenAPI document as what it is: the session cookie."""

    target_class = SessionWithoutCsrf
    name = "statusCookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def _status_responses(*errors: int) -> dict[int, Any]:
    return {200: schema_of(schemas.STATUS_ANSWER), **dict.fromkeys((400, 403, 503, *errors), ERROR_SCHEMA)}


# The answer carries meta.missing too; SectionView describes only the common meta.
# Long lists go by POST: a GET of 1000 PandaIDs (about 11 KB) passes gunicorn as configured in
# config/gunicorn.conf.py, but not gunicorn's default request line (4094 bytes) nor nginx's (8 KB).
STATUS_GET_DESCRIPTION = (
    "Up to limits.max_status_ids PandaIDs (1000). A query string past limits.max_query_string (16384) is a 414. "
    "Servers and proxies in between have request line limits of their own: gunicorn takes 4094 bytes by default "
    "(about 350 ids; Pandjango's config/gunicorn.conf.py takes the whole max_query_string) and nginx 8 KB "
    "(about 700 ids, large_client_header_buffers). For long lists, POST {\"pandaid\": [...]}."
)


class JobsStatus(SectionView):
    summary = "The state of many jobs at once, by PandaID (GET, or POST a JSON body)"
    authentication_classes = [TokenAuthentication, SessionWithoutCsrf]
    spec = parameters.QuerySpec(extra={"pandaid": PandaIdList()}, extra_help={"pandaid": "comma-separated PandaIDs, e.g. 1,2,3"})
    post_spec = parameters.QuerySpec()  # the ids come in the body; the query string takes nothing else
    data_shape = schemas.STATUS

    @extend_schema(description=STATUS_GET_DESCRIPTION, responses=_status_responses(414))
    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            return self.status_of(query.extra["pandaid"])

        return answer

    @extend_schema(
        summary="The state of many jobs at once: POST {\"pandaid\": [...]}",
        description="The documented way for long lists: up to limits.max_status_ids PandaIDs (1000) in a JSON body, "
        "with no limit of a request line on the way.",
        # A body holds nothing but the list: drf-spectacular leaves other keys open.
        request={"application/json": {**schema_of(schemas.STATUS_BODY, "request"), "additionalProperties": False}},
        responses=_status_responses(415),
        tags=["production"],
        operation_id="production_status_post",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parameters.parse_query(request, self.post_spec)
        # A POST is never cached: each pipeline sends its own list of ids.
        return Response(self.status_of(_pandaids_in_body(request.data)), headers={"X-Cache": "BYPASS", "Cache-Control": "no-store"})

    def status_of(self, pandaids: list[int]) -> dict[str, Any]:
        data, missing = queries.jobs_status(pandaids)
        return output.envelope(data, count=len(data), missing=missing)


def _pandaids_in_body(body: Any) -> list[int]:
    if not isinstance(body, dict):
        raise errors.bad_request('the body must be a JSON object: {"pandaid": [1, 2, 3]}', pandaid="required")
    unknown = sorted(k for k in body if k != "pandaid")
    if unknown:
        raise errors.bad_request(f"unknown key{'s' if len(unknown) > 1 else ''} in the body: {', '.join(unknown)}", **{k: "unknown key" for k in unknown})
    ids = body.get("pandaid")
    if not isinstance(ids, list):
        raise errors.bad_request("pandaid: must be a list of PandaIDs", pandaid="must be a list of PandaIDs, e.g. [1, 2, 3]")
    try:
        return PandaIdList().clean(ids)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        raise errors.bad_request(f"pandaid: {message}", pandaid=message) from None


# ---------------------------------------------------------------------------- errors


class ErrorsSummary(SectionView):
    summary = "Failed jobs in the window summarised by error code, queue, user and task"
    spec = parameters.QuerySpec(filterset=JobFilterSet, default_hours=12, extra={"table": JobTables()}, extra_help=TABLE_HELP)
    data_shape = schemas.ERRORS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            summary, truncated, source = queries.errors_summary(query, query.extra["table"])
            return output.envelope(summary, window=query.window, limit=output.max_summary_rows(), truncated=truncated, **source)

        return answer


# ---------------------------------------------------------------------------- tasks

class TasksList(SectionView):
    summary = "JEDI tasks modified in the window, newest first"
    spec = parameters.QuerySpec(
        filterset=TaskFilterSet,
        default_hours=7 * 24,
        is_list=True,
        sort_fields=queries.TASK_SORT_FIELDS,
        default_sort="-modificationtime",
        output_fields=queries.TASK_COLUMNS,
        default_fields=queries.TASK_LIST_FIELDS,
    )
    data_shape = schemas.TASKS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            rows, truncated = queries.tasks_list(query)
            return output.envelope(rows, window=query.window, limit=query.limit, count=len(rows), truncated=truncated)

        return answer


class TaskDetail(SectionView):
    summary = "One JEDI task, its datasets and its jobs counted by jobstatus"
    not_found = True
    data_shape = schemas.TASK

    def get(self, request: Request, jeditaskid: int) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            task = queries.task_detail(jeditaskid)
            if task is None:
                raise errors.not_found(f"no task with jeditaskid {jeditaskid}")
            return output.envelope(task)

        return answer
