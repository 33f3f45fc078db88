"""The stats section: job counts as a matrix, counts over time, and per-queue efficiency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpResponse
from rest_framework.request import Request

from pandjango.api import errors, filters, output, parameters
from pandjango.api.jobfilters import JobFilterSet
from pandjango.endpoints.base import SectionView
from pandjango.pandadb.firstrows import at_most

from . import queries, schemas

MAX_BINS = 2000  # a series longer than this is not a dashboard plot any more
MAX_MATRIX_AXIS = 1000
MAX_SERIES = 50

# pilots_submitted's own filters, on the workers' columns. computingsite (the queue) is a job
# filter already and means the same for workers; jobtype there is the job's kind (analysis,
# production...), not the worker's, so workers are only grouped by it.
PILOT_FILTERS = tuple(name for name in queries.PILOT_DIMENSIONS if name not in JobFilterSet.base_filters)
SHARED_PILOT_FILTERS = ("computingsite",)


def _choice(choices: Sequence[str], initial: str | None = None, required: bool = True) -> forms.ChoiceField:
    one_of = f"must be one of {', '.join(choices)}"
    return forms.ChoiceField(
        choices=[(c, c) for c in choices],
        initial=initial,
        required=required,
        error_messages={"invalid_choice": one_of, "required": f"is required and {one_of}"},
    )


def _count(initial: int, maximum: int) -> forms.IntegerField:
    return forms.IntegerField(initial=initial, min_value=1, max_value=maximum)


class Jobs(SectionView):
    summary = "Job counts as a matrix: rows= by cols= (default cloud by jobstatus), with totals"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        extra={
            "rows": _choice(queries.JOB_DIMENSIONS, "cloud"),
            "cols": _choice(queries.JOB_DIMENSIONS, "jobstatus"),
            "limit": _count(100, MAX_MATRIX_AXIS),
        },
        extra_help={
            "rows": "the job column of the rows (default cloud)",
            "cols": "the job column of the columns (default jobstatus); must differ from rows",
            "limit": f"at most this many rows and columns, the largest by total (default 100, at most {MAX_MATRIX_AXIS})",
        },
    )
    data_shape = schemas.JOBS

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            rows, cols, limit = query.extra["rows"], query.extra["cols"], query.extra["limit"]
            if rows == cols:
                raise errors.bad_request("rows and cols must be different columns", cols="must differ from rows")
            assert query.window is not None
            matrix = queries.jobs(query, rows, cols, limit)
            return output.envelope(
                matrix.data, window=query.window, limit=limit, count=len(matrix.data["rows"]), truncated=matrix.truncated, **matrix.source
            )

        return answer


def _pilot_filter_q(extra: dict[str, Any]) -> tuple[Q, list[str]]:
    given = [name for name in PILOT_FILTERS if extra[name] is not None]
    return filters.all_of(extra[name] for name in given), given


def _timeseries_selection(query: parameters.Query) -> tuple[str, Q]:
    """The metric and its filter, after checking that the filters and groupby fit it."""
    metric, groupby = query.extra["metric"], query.extra["groupby"]
    pilot_q, pilot_filters = _pilot_filter_q(query.extra)
    if metric in queries.PILOT_METRICS:
        job_filters = [name for name in query.filters if name not in SHARED_PILOT_FILTERS]
        if job_filters:
            raise errors.bad_request(
                f"job filters do not apply to {metric}", **{name: f"not a filter of {metric}" for name in job_filters}
            )
        if groupby and groupby not in queries.PILOT_DIMENSIONS:
            raise errors.bad_request(f"{metric} cannot be grouped by {groupby}", groupby=f"must be one of {', '.join(queries.PILOT_DIMENSIONS)}")
        return metric, pilot_q & query.q  # query.q holds the shared filters only
    if pilot_filters:
        raise errors.bad_request(f"pilot filters do not apply to {metric}", **{name: f"not a filter of {metric}" for name in pilot_filters})
    if groupby and groupby not in queries.JOB_DIMENSIONS:
        raise errors.bad_request(f"{metric} cannot be grouped by {groupby}", groupby=f"must be one of {', '.join(queries.JOB_DIMENSIONS)}")
    return metric, query.q


class Timeseries(SectionView):
    summary = "Jobs finished, failed or created, or pilots submitted, per time bin"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=24,
        extra={
            "metric": _choice(queries.METRICS),
            "bin": _choice(tuple(queries.BIN_SECONDS), "1h"),
            "groupby": _choice(tuple(dict.fromkeys((*queries.JOB_DIMENSIONS, *queries.PILOT_DIMENSIONS))), required=False),
            "top": _count(10, MAX_SERIES),
            **{name: filters.FilterField(name) for name in PILOT_FILTERS},
        },
        extra_help={
            "metric": "required: jobs_finished, jobs_failed (by ENDTIME, archived jobs), jobs_created (by CREATIONTIME, "
            "every job table) or pilots_submitted (Harvester workers by SUBMITTIME; filters computingsite and the pilot filters)",
            "bin": f"5m, 15m, 1h (default) or 1d; the window may hold at most {MAX_BINS} bins",
            "groupby": f"one series per value: a job column ({', '.join(queries.JOB_DIMENSIONS)}) for job metrics, "
            f"a pilot column ({', '.join(queries.PILOT_DIMENSIONS)}) for pilots_submitted",
            "top": f"with groupby: this many series, the largest by total (default 10, at most {MAX_SERIES}); "
            "the rest are added up in a last series named \"other\"",
            **{name: f"pilots_submitted only: the workers' {name}; value, a|b, !a, * wildcard" for name in PILOT_FILTERS},
        },
    )
    data_shape = schemas.TIMESERIES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            metric, q = _timeseries_selection(query)
            assert query.window is not None
            bin_size = query.extra["bin"]
            bins = len(queries.bin_starts(query.window, queries.BIN_SECONDS[bin_size]))
            if bins > MAX_BINS:
                raise errors.bad_request(
                    f"the window holds {bins} bins of {bin_size}, more than {MAX_BINS}",
                    bin=f"{bins} bins: at most {MAX_BINS}; use a larger bin or a shorter window",
                )
            data, source = queries.timeseries(query, metric, q, bin_size, query.extra["groupby"], query.extra["top"])
            return output.envelope(data, window=query.window, count=len(data["series"]), **source)

        return answer


class Sites(SectionView):
    summary = "Per queue: jobs finished and failed, efficiency, mean wall time and CPU time"
    spec = parameters.QuerySpec(
        filterset=JobFilterSet,
        default_hours=12,
        is_list=True,
        sort_fields=queries.SITE_FIELDS,
        default_sort="-finished",
        output_fields=queries.SITE_FIELDS,
        default_fields=queries.SITE_FIELDS,
    )
    data_shape = schemas.SITES

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            assert query.window is not None
            found, source = queries.sites(query)
            rows, truncated = at_most(queries.sort_rows(found, query.sort), query.limit)
            shown = [{f: row[f] for f in query.fields} for row in rows]
            return output.envelope(shown, window=query.window, limit=query.limit, count=len(shown), truncated=truncated, **source)

        return answer
