"""The BigPanDA-compatible paths (API.md): BigPanDA's parameters in, BigPanDA's JSON out,
from the production section's queries. A request asks for JSON with `json` in its query
(any value, or none) or an Accept header of exactly application/json or text/json; any
other request is redirected to the Pandjango page of the same selection.

As under /api/: the production section's state decides who may read them, parameters are
validated (an unknown one is a 400), lists are bounded by limits.max_limit, answers are
cached per endpoint name (cache.lifetimes."bigpanda.jobs", ...), errors are JSON, and only
signed-in staff see a job's PRODUSERID."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from pandjango.api import errors, filters, parameters
from pandjango.api.jobfilters import JobFilterSet
from pandjango.caching import answers, points
from pandjango.sections import can_see
from sections.production import queries as production
from sections.production.filtersets import TaskFilterSet

from . import queries, shapes

SECTION = "production"  # whose state these paths follow
JSON_TYPES = ("application/json", "text/json")
# Parameters BigPanDA's clients send that change nothing here.
NO_OPS = ("json", "timestamp", "display_limit")
NO_WINDOW_FILTERS = ("jeditaskid", "pandaid")  # a task's or a job's rows, whenever they ran


class Count(forms.Field):
    """A positive integer up to a config limit (read per request: tests change it)."""

    def __init__(self, maximum_key: str | None = "max_limit") -> None:
        super().__init__(required=False)
        self.maximum_key = maximum_key

    def clean(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        if not filters.INTEGER.fullmatch(str(value)) or int(value) <= 0:
            raise ValidationError("must be a positive integer")
        if self.maximum_key is not None:
            maximum = settings.PANDJANGO["limits"][self.maximum_key]
            if int(value) > maximum:
                raise ValidationError(f"must be at most {maximum} (limits.{self.maximum_key})")
        return int(value)


class Choice(forms.Field):
    def __init__(self, *choices: str) -> None:
        super().__init__(required=False)
        self.choices = choices

    def clean(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in self.choices:
            raise ValidationError(f"must be one of {', '.join(self.choices)}")
        return str(value)


class Names(forms.Field):
    """A comma-separated list of names; with `choices`, only those."""

    def __init__(self, choices: tuple[str, ...] = ()) -> None:
        super().__init__(required=False)
        self.choices = choices

    def clean(self, value: Any) -> list[str] | None:
        if value in (None, ""):
            return None
        names = [n.strip() for n in str(value).split(",") if n.strip()]
        wrong = [n for n in names if self.choices and n not in self.choices]
        if wrong or not names:
            raise ValidationError(f"must be a comma-separated list of {', '.join(self.choices) or 'names'}")
        return names


def _no_ops() -> dict[str, forms.Field]:
    return {"json": forms.CharField(required=False), "timestamp": forms.CharField(required=False), "display_limit": Count(None)}


JOB_SORTS = tuple(f"{name}-{way}" for name in shapes.SORT_KEYS for way in ("descending", "ascending"))
JOBS_OUTPUTS = ("selectionsummary", "jobs", "errsByCount")


def wants_json(request: HttpRequest) -> bool:
    return "json" in request.GET or request.headers.get("Accept", "").strip() in JSON_TYPES


def _show_personal(request: Request) -> bool:
    return bool(request.user and request.user.is_staff)


def _job_columns(request: Request) -> list[str]:
    return [c for c in production.JOB_COLUMNS if _show_personal(request) or c not in production.PERSONAL_COLUMNS]


@extend_schema(exclude=True)  # BigPanDA's shapes, not the API's: left out of /api/schema/
class BigPandaView(APIView):
    endpoint: ClassVar[str] = ""
    path: ClassVar[str] = ""
    page: ClassVar[str] = ""  # the Pandjango page of the same selection
    spec: ClassVar[parameters.QuerySpec] = parameters.QuerySpec()
    time_format: ClassVar[str] = shapes.LIST_TIME

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.endpoint:
            points.register_endpoint(cls.endpoint, cls.path)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # text/json, which BigPanDA's clients may send, is JSON too.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(exclude=True)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        if not wants_json(request):
            return HttpResponseRedirect(self.page_url(request, **kwargs))
        if not can_see(request.user, SECTION):
            raise errors.ApiError(403, "forbidden", f"the {SECTION} section is not open to you")
        query = self.parse(request, **kwargs)
        for name in NO_OPS:  # they change nothing, so they do not split the cache
            query.normalized.pop(name, None)
        return answers.cached_answer(
            request, self.endpoint, query.normalized, kwargs,
            lambda: self.answer(request, query, **kwargs),
            render=lambda data: shapes.dumps(data, self.time_format),
        )

    def parse(self, request: Request, **kwargs: Any) -> parameters.Query:
        query = parameters.parse_query(request, self.spec)
        if any(name in query.filters for name in NO_WINDOW_FILTERS):
            query = dataclasses.replace(query, window=None)
        return query

    def page_url(self, request: Request, **kwargs: Any) -> str:
        wanted = set(self.spec.filterset.base_filters) if self.spec.filterset else set()
        wanted |= set(parameters.WINDOW_PARAMS)
        params = {k: v for k, v in request.GET.items() if k in wanted}
        return self.page.format(**kwargs) + (f"?{urlencode(params)}" if params else "")

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        raise NotImplementedError


def _limit(query: parameters.Query, default: int | None = None) -> int:
    maximum = settings.PANDJANGO["limits"]["max_limit"]
    return int(query.extra.get("limit") or min(default or maximum, maximum))


# ---------------------------------------------------------------------------- jobs


class Jobs(BigPandaView):
    endpoint = "bigpanda.jobs"
    path = "/jobs/"
    page = "/production/jobs/"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        extra={
            "limit": Count(), "fields": Names(), "sortby": Choice(*JOB_SORTS), "mode": Choice("nodrop", "drop"),
            "outputs": Names(JOBS_OUTPUTS), "category": forms.CharField(required=False), **_no_ops(),
        },
    )

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        fields = query.extra["fields"]
        columns = _job_columns(request)
        read = dataclasses.replace(query, fields=columns, sort="-modificationtime", limit=_limit(query))
        jobs = [shapes.as_listed(job) for job in production.jobs_list(read, None).rows]
        for job in jobs:
            job.pop("table", None)
        task_given = "jeditaskid" in query.filters
        mode = query.extra["mode"] or ("drop" if task_given else "nodrop")
        if mode == "drop":
            jobs = shapes.drop_retried(jobs)
        jobs = shapes.sort_jobs(jobs, query.extra["sortby"] or ("attemptnr-descending" if task_given else "time-descending"))
        summary = shapes.selection_summary(jobs)
        labels = query.filters.get("prodsourcelabel")  # as BigPanDA: test jobs when a label names "test"
        test_jobs = labels is not None and "test" in str(labels).lower()
        errors = shapes.error_summaries(jobs, test_jobs)["errsByCount"]
        if fields and "metastruct" in fields:
            metadata = queries.job_metadata([job["pandaid"] for job in jobs])
            for job in jobs:
                if job["pandaid"] in metadata:
                    job["metastruct"] = metadata[job["pandaid"]]
        if fields:
            jobs = shapes.only_fields(jobs, fields)
        outputs = query.extra["outputs"] or JOBS_OUTPUTS
        return {
            "selectionsummary": summary if "selectionsummary" in outputs else [],
            "jobs": jobs if "jobs" in outputs else [],
            "errsByCount": errors if "errsByCount" in outputs else [],
        }


class Job(BigPandaView):
    endpoint = "bigpanda.job"
    path = "/job/<pandaid>/"
    time_format = shapes.JOB_TIME
    spec = parameters.QuerySpec(extra={"pandaid": Count(None), "batchid": forms.CharField(required=False),
                                "jobname": forms.CharField(required=False), **_no_ops()})

    def page_url(self, request: Request, **kwargs: Any) -> str:
        if "pandaid" in kwargs or request.GET.get("pandaid", "").isdigit():
            return f"/production/jobs/{kwargs.get('pandaid') or request.GET['pandaid']}/"
        params = {k: request.GET[k] for k in ("batchid", "jobname") if k in request.GET}
        return "/production/jobs/" + (f"?{urlencode(params)}" if params else "")

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        pandaid = kwargs.get("pandaid") or self._pandaid(query)
        job = production.job_detail(pandaid, show_personal=_show_personal(request))
        if job is None:
            raise errors.not_found(f"no job with pandaid {pandaid} in any job table")
        for extra in ("errors", "worker", "table"):
            job.pop(extra, None)
        metadata = queries.job_metadata([pandaid]).get(pandaid)
        if metadata is not None:
            job["metastruct"] = metadata
        return {"job": job, "files": queries.job_files(pandaid), "dsfiles": []}

    def _pandaid(self, query: parameters.Query) -> int:
        given = {k: v for k in ("pandaid", "batchid", "jobname") if (v := query.extra.get(k))}
        if len(given) != 1:
            message = "give one of pandaid, batchid or jobname"
            raise errors.bad_request(message, **{k: message for k in ("pandaid", "batchid", "jobname")})
        (name, value), = given.items()
        if name == "pandaid":
            return int(value)
        pandaid = queries.pandaid_of(name, str(value))
        if pandaid is None:
            raise errors.not_found(f"no job with {name} {value} in any job table")
        return pandaid


class Errors(BigPandaView):
    endpoint = "bigpanda.errors"
    path = "/errors/"
    page = "/production/errors/"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        extra={"limit": Count(), "sortby": Choice("count", "alpha"), **_no_ops()},
    )

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        failed = query.q & Q(jobstatus__in=["failed", "holding"])
        columns = ["pandaid", "jobstatus", "computingsite", "produsername", "jeditaskid", "prodsourcelabel", *shapes.ERROR_COLUMNS]
        read = dataclasses.replace(query, q=failed, fields=columns, sort="-modificationtime", limit=_limit(query))
        return shapes.error_summaries(production.jobs_list(read, None).rows)


# ---------------------------------------------------------------------------- tasks


class Tasks(BigPandaView):
    endpoint = "bigpanda.tasks"
    path = "/tasks/"
    page = "/production/tasks/"
    spec = parameters.QuerySpec(
        filterset=TaskFilterSet,
        default_hours=7 * 24,
        extra={
            "limit": Count(), "sortby": Choice(*shapes.TASK_SORTS), "datasets": Choice("True", "true", "1"),
            "extra": Names(("metastruct",)), **_no_ops(),
        },
    )

    def parse(self, request: Request, **kwargs: Any) -> parameters.Query:
        query = super().parse(request, **kwargs)
        tasktype = request.GET.get("tasktype", "")
        window_given = any(p in request.GET for p in parameters.WINDOW_PARAMS)
        if query.window is not None and tasktype.startswith("ana") and not window_given:
            query = dataclasses.replace(query, window=parameters.parse_window({"hours": "72"}, 72, {}))
        return query

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        read = dataclasses.replace(query, fields=list(production.TASK_COLUMNS), sort="-modificationtime", limit=_limit(query, 5000))
        tasks, _ = production.tasks_list(read)
        ids = [task["jeditaskid"] for task in tasks]
        if query.extra["datasets"]:
            datasets = queries.tasks_datasets(ids)
            for task in tasks:
                task["datasets"] = datasets.get(task["jeditaskid"], [])
                task["dsinfo"] = shapes.dataset_info(task["datasets"])
        if query.extra["extra"]:
            metadata = queries.tasks_metadata(ids, settings.PANDJANGO["limits"]["max_limit"])
            for task in tasks:
                if task["jeditaskid"] in metadata:
                    task["jobs_metadata"] = metadata[task["jeditaskid"]]
        return shapes.sort_tasks(tasks, query.extra["sortby"] or "jeditaskid-desc")


class Task(BigPandaView):
    endpoint = "bigpanda.task"
    path = "/task/<jeditaskid>/"
    page = "/production/tasks/{jeditaskid}/"
    spec = parameters.QuerySpec(extra=_no_ops())

    def answer(self, request: Request, query: parameters.Query, **kwargs: Any) -> Any:
        jeditaskid = kwargs["jeditaskid"]
        task = production.task_detail(jeditaskid)
        if task is None:
            raise errors.not_found(f"no task with jeditaskid {jeditaskid}")
        datasets = task.pop("datasets")
        task.pop("job_counts", None)
        return {"task": task, "taskparams": queries.task_params(jeditaskid), "datasets": datasets}
