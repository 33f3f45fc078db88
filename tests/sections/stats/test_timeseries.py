"""/api/stats/timeseries/: counts per time bin, binned in the database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connections
from django.db.models import Q

from pandjango.pandadb.models import JOB_MODELS, HarvesterWorkers
from tests.api_helpers import each_job_once

URL = "/api/stats/timeseries/"
BIN_SECONDS = {"5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


def _epoch(text: str) -> int:
    assert text.endswith("Z"), text
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _orm_count(metric: str, window: Any, **filters: Any) -> int:
    """The same selection as the endpoint's, counted row by row with the plain ORM."""
    span = {"gte": window.start, "lt": window.end}
    if metric == "pilots_submitted":
        return HarvesterWorkers.objects.filter(submittime__gte=span["gte"], submittime__lt=span["lt"], **filters).count()
    if metric == "jobs_created":
        tables: tuple[str, ...] = tuple(JOB_MODELS)
        q = Q(creationtime__gte=span["gte"], creationtime__lt=span["lt"])
    else:
        tables = ("archived", "archive")
        q = Q(jobstatus=metric.removeprefix("jobs_"), endtime__gte=span["gte"], endtime__lt=span["lt"])
    return len(each_job_once(tables, lambda jobs: jobs.filter(q, **filters).values("pandaid")))


@pytest.mark.parametrize("bin_size", list(BIN_SECONDS))
def test_its_bins_are_aligned_and_cover_the_window(get_json, last_hours, bin_size: str) -> None:
    window = last_hours(30)
    data = get_json(URL, **window.params(metric="jobs_created", bin=bin_size))["data"]
    seconds = BIN_SECONDS[bin_size]
    starts = [_epoch(b) for b in data["bins"]]
    assert all(s % seconds == 0 for s in starts)
    assert starts == list(range(starts[0], starts[-1] + 1, seconds))
    assert starts[0] <= window.start.timestamp() < starts[0] + seconds
    assert starts[-1] < window.end.timestamp() <= starts[-1] + seconds
    assert all(len(s["values"]) == len(starts) for s in data["series"])


def test_it_says_which_end_bins_the_window_cuts(get_json) -> None:
    aligned = {"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-01-01T06:00:00Z"}
    data = get_json(URL, **aligned, metric="jobs_created", bin="1h")["data"]
    assert len(data["bins"]) == 6 and data["partial"] == {"first": False, "last": False}
    cut = {"date_from": "2026-01-01T00:20:00Z", "date_to": "2026-01-01T05:40:00Z"}
    data = get_json(URL, **cut, metric="jobs_created", bin="1h")["data"]
    assert len(data["bins"]) == 6 and data["partial"] == {"first": True, "last": True}
    data = get_json(URL, **{**cut, "date_to": "2026-01-01T06:00:00Z"}, metric="pilots_submitted", bin="1h")["data"]
    assert data["partial"] == {"first": True, "last": False}


def test_empty_bins_are_there_with_zero(get_json, last_hours) -> None:
    # The seed starts 4 days ago: the first day of a 6-day window has no job.
    window = last_hours(24 * 6)
    data = get_json(URL, **window.params(metric="jobs_finished", bin="1h"))["data"]
    values = data["series"][0]["values"]
    assert len(values) == len(data["bins"]) >= 24 * 6
    assert values[:24] == [0] * 24 and sum(values) > 0
    before = last_hours(24, ago=24 * 10)
    quiet = get_json(URL, **before.params(metric="jobs_created", bin="15m"))["data"]
    assert quiet["series"] == [{"name": "jobs_created", "values": [0] * len(quiet["bins"])}] and len(quiet["bins"]) >= 96


@pytest.mark.parametrize("metric", ["jobs_finished", "jobs_failed", "jobs_created", "pilots_submitted"])
@pytest.mark.parametrize("hours", [24, 24 * 4])  # the longer window reaches the PANDAARCH archive
def test_the_series_add_up_to_an_orm_count_over_the_same_window(get_json, last_hours, metric: str, hours: int) -> None:
    window = last_hours(hours)
    data = get_json(URL, **window.params(metric=metric, bin="15m"))["data"]
    assert [s["name"] for s in data["series"]] == [metric]
    assert sum(data["series"][0]["values"]) == _orm_count(metric, window) > 0


def test_each_series_of_a_groupby_matches_its_orm_count(get_json, last_hours) -> None:
    window = last_hours(24)
    data = get_json(URL, **window.params(metric="jobs_finished", groupby="cloud", top=50))["data"]
    assert data["groupby"] == "cloud" and len(data["series"]) > 1
    for series in data["series"]:
        assert sum(series["values"]) == _orm_count("jobs_finished", window, cloud=series["name"]), series["name"]
    totals = [sum(s["values"]) for s in data["series"]]
    assert totals == sorted(totals, reverse=True)


def test_it_keeps_the_top_series_and_adds_up_the_rest_as_other(get_json, last_hours) -> None:
    window = last_hours(24)
    every = get_json(URL, **window.params(metric="jobs_created", groupby="computingsite", top=50))["data"]["series"]
    top = get_json(URL, **window.params(metric="jobs_created", groupby="computingsite", top=3))["data"]["series"]
    assert len(every) > 4 and len(top) == 4
    assert top[:3] == every[:3]
    assert top[3]["name"] == "other" and top[3]["other"] is True
    assert top[3]["values"] == [sum(col) for col in zip(*(s["values"] for s in every[3:]), strict=True)]


def test_it_counts_workers_by_submission_time_and_filters_them(get_json, last_hours) -> None:
    window = last_hours(24)
    submitted = HarvesterWorkers.objects.filter(submittime__gte=window.start, submittime__lt=window.end)
    site = submitted.exclude(status="finished").order_by("computingsite").values_list("computingsite", flat=True).first()
    params = window.params(metric="pilots_submitted", computingsite=site, status="!finished", groupby="resourcetype")
    data = get_json(f"{URL}?{urlencode(params)}")["data"]
    counts = Counter(submitted.filter(computingsite=site).exclude(status="finished").values_list("resourcetype", flat=True))
    assert counts and {s["name"]: sum(s["values"]) for s in data["series"]} == dict(counts)


def test_workers_may_be_grouped_by_instance(get_json, last_hours) -> None:
    window = last_hours(24)
    data = get_json(URL, **window.params(metric="pilots_submitted", groupby="harvesterid"))["data"]
    counts = Counter(HarvesterWorkers.objects.filter(submittime__gte=window.start, submittime__lt=window.end).values_list("harvesterid", flat=True))
    assert len(counts) > 1 and {s["name"]: sum(s["values"]) for s in data["series"]} == dict(counts)


def test_job_filters_narrow_a_job_metric(get_json, last_hours) -> None:
    window = last_hours(24)
    data = get_json(URL, **window.params(metric="jobs_failed", jobtype="analysis", cloud="US|DE"))["data"]
    expected = _orm_count("jobs_failed", window, prodsourcelabel__in=["user", "panda"], cloud__in=["US", "DE"])
    assert sum(data["series"][0]["values"]) == expected


def test_it_refuses_more_bins_than_the_limit(get_json) -> None:
    assert get_json(URL, metric="jobs_created", bin="5m", days=6)["data"]["bins"]
    error = get_json(URL, status=400, metric="jobs_created", bin="5m", days=7)["error"]
    assert "bin" in error["fields"] and "2000" in error["fields"]["bin"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "metric"),
        ({"metric": "jobs_lost"}, "metric"),
        ({"metric": "jobs_finished", "bin": "10m"}, "bin"),
        ({"metric": "jobs_finished", "groupby": "harvesterid"}, "groupby"),
        ({"metric": "pilots_submitted", "groupby": "cloud"}, "groupby"),
        ({"metric": "jobs_finished", "groupby": "produserid"}, "groupby"),
        ({"metric": "pilots_submitted", "cloud": "X"}, "cloud"),
        ({"metric": "pilots_submitted", "jobtype": "analysis"}, "jobtype"),
        ({"metric": "jobs_created", "harvesterid": "X"}, "harvesterid"),
        ({"metric": "jobs_created", "groupby": "cloud", "top": "0"}, "top"),
    ],
)
def test_it_rejects_what_does_not_fit(get_json, params: dict[str, str], field: str) -> None:
    error = get_json(URL, status=400, **params)["error"]
    assert field in error["fields"], error


def test_its_default_window_is_a_day_of_hours(get_json) -> None:
    body = get_json(URL, metric="jobs_finished")
    window = body["meta"]["window"]
    assert _epoch(window["to"]) - _epoch(window["from"]) == 24 * 3600
    assert len(body["data"]["bins"]) in (24, 25)


@pytest.mark.parametrize(("metric", "queries"), [("jobs_finished", 1), ("jobs_created", 1), ("pilots_submitted", 1)])
def test_it_bins_in_the_database(anon_client, django_assert_num_queries, metric: str, queries: int) -> None:
    # One grouped statement: over JOBSARCHIVED4 for final states, the four live job tables
    # for creations, HARVESTER_WORKERS for pilots (24 h do not reach the archive).
    with django_assert_num_queries(queries, connection=connections["panda"]):
        assert anon_client.get(URL, {"metric": metric, "groupby": "cloud" if metric != "pilots_submitted" else "computingsite"}).status_code == 200


def test_the_bins_follow_date_to_in_the_past(get_json, last_hours) -> None:
    window = last_hours(3, ago=30)
    data = get_json(URL, **window.params(metric="jobs_created", bin="1h"))["data"]
    assert _epoch(data["bins"][-1]) > (window.end - timedelta(hours=1)).timestamp()
    assert sum(data["series"][0]["values"]) == _orm_count("jobs_created", window) > 0
