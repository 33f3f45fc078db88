"""The clouds (/api/sites/clouds/): CLOUDCONFIG with queues by status and jobs by jobstatus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.models import CloudConfig, JobsActive4, SchedConfig
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

CLOUDS = "/api/sites/clouds/"


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in body["data"]}


def test_it_lists_every_cloud_of_cloudconfig_by_name(get_json: Callable[..., Any]) -> None:
    body = get_json(CLOUDS)
    assert [row["name"] for row in body["data"]] == list(CloudConfig.objects.order_by("name").values_list("name", flat=True))
    assert body["meta"]["count"] == CloudConfig.objects.count()


def test_its_rows_hold_the_cloud_s_configuration(get_json: Callable[..., Any]) -> None:
    rows = by_name(get_json(CLOUDS))
    for cloud in CloudConfig.objects.all():
        row = rows[cloud.name]
        assert (row["tier1"], row["status"], row["countries"], row["weight"]) == (cloud.tier1, cloud.status, cloud.countries, cloud.weight)
        assert row["comment_"] == cloud.comment and parse_datetime(row["modtime"]) == cloud.modtime


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(CLOUDS), "sites.clouds")
    assert_matches_schema(get_json(CLOUDS, days=4), "sites.clouds")


def test_its_queues_by_status_are_those_of_schedconfig(get_json: Callable[..., Any]) -> None:
    rows = by_name(get_json(CLOUDS))
    for name, row in rows.items():
        expected = Counter(SchedConfig.objects.filter(cloud=name).values_list("status", flat=True))
        assert row["queues"] == dict(expected), name
        assert list(row["queues"].values()) == sorted(row["queues"].values(), reverse=True)


def test_its_queue_counts_agree_with_the_queue_list(get_json: Callable[..., Any]) -> None:
    row = by_name(get_json(CLOUDS))["DE"]
    assert row["queues"]
    for status, count in row["queues"].items():
        assert get_json(with_query("/api/sites/", cloud="DE", status=status))["meta"]["count"] == count


@pytest.mark.parametrize("hours", [1, 12, 24 * 4])
def test_its_jobs_by_jobstatus_are_those_of_the_orm(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    rows = by_name(get_json(CLOUDS, **fixed.params))
    assert any(row["jobs"] for row in rows.values())
    for name, row in rows.items():
        assert row["jobs"] == dict(fixed.jobs_by_status(Q(cloud=name))), name


def test_its_jobs_are_counted_by_the_job_s_own_cloud(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], seed_now: datetime) -> None:
    fixed = window(12)
    before = fixed.jobs_by_status(Q(cloud="CA"))
    # A job that ran in another cloud's queue, brokered under CA.
    JobsActive4(pandaid=9_100_000_001, computingsite="BNL-ATLAS_PROD", cloud="CA", jobstatus="running",
                modificationtime=seed_now - timedelta(minutes=5)).save(force_insert=True)
    rows = by_name(get_json(CLOUDS, **fixed.params))
    assert rows["CA"]["jobs"]["running"] == before["running"] + 1


def test_its_default_window_is_the_last_12_hours(get_json: Callable[..., Any]) -> None:
    window = get_json(CLOUDS)["meta"]["window"]
    start, end = parse_datetime(window["from"]), parse_datetime(window["to"])
    assert start is not None and end is not None and end - start == timedelta(hours=12)


def test_clouds_is_not_taken_for_a_queue_nickname(get_json: Callable[..., Any]) -> None:
    assert isinstance(get_json(CLOUDS)["data"], list)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"cloud": "CA"}, "cloud"), ({"limit": "5"}, "limit"), ({"hours": "0"}, "hours"), ({"days": "31"}, "days"), ({"date_to": "2020-13-01"}, "date_to")],
)
def test_it_rejects_unknown_parameters_and_bad_windows(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(CLOUDS, **params), status=400)["error"]["fields"]


def test_it_costs_one_query_per_table(anon_client: Client, django_assert_num_queries: Any) -> None:
    # CLOUDCONFIG, SCHEDCONFIG, and the 4 live job tables (the archive is beyond 12 hours).
    with django_assert_num_queries(6, connection=connections["panda"]):
        assert anon_client.get(CLOUDS).status_code == 200
