"""The clouds (/api/sites/clouds/): the clouds the queues and jobs name, with the queues by
status and the jobs by jobstatus."""

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

from pandjango.pandadb.models import JOB_MODELS, JobsActive4
from tests.api_helpers import assert_matches_schema, with_query
from tests.queues_helpers import add_queue, documents

from .conftest import FixedWindow

CLOUDS = "/api/sites/clouds/"


def by_cloud(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["cloud"]: row for row in body["data"]}


def queues_by_status(cloud: str | None) -> dict[str, int]:
    """From the documents: the cloud's queues by status (a document without one as "null",
    as JSON writes a null key)."""
    statuses = Counter("null" if d.get("status") is None else d["status"] for d in documents().values() if d.get("cloud") == cloud)
    return dict(statuses)


def job_clouds(window: FixedWindow) -> set[str | None]:
    clouds: set[str | None] = set()
    for model in JOB_MODELS.values():
        in_window = model._default_manager.filter(modificationtime__gte=window.start, modificationtime__lt=window.end)
        clouds.update(in_window.values_list("cloud", flat=True).distinct())
    return clouds


def test_it_lists_every_cloud_the_queues_and_jobs_name_with_null_last(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    add_queue("NO_CLOUD_TEST", '{"status": "online"}')
    named = {d.get("cloud") for d in documents().values()} | job_clouds(fixed)
    body = get_json(CLOUDS, **fixed.params)
    assert [row["cloud"] for row in body["data"]] == [*sorted(c for c in named if c is not None), None]
    assert body["meta"]["count"] == len(named)


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    add_queue("NO_CLOUD_TEST", '{"corecount": 8}')
    assert_matches_schema(get_json(CLOUDS), "sites.clouds")
    assert_matches_schema(get_json(CLOUDS, days=4), "sites.clouds")


def test_its_queues_by_status_are_those_of_the_documents(get_json: Callable[..., Any]) -> None:
    rows = by_cloud(get_json(CLOUDS))
    assert rows["DE"]["queues"]
    for cloud, row in rows.items():
        assert row["queues"] == queues_by_status(cloud), cloud
        assert list(row["queues"].values()) == sorted(row["queues"].values(), reverse=True)


def test_queues_without_a_cloud_are_counted_under_null(get_json: Callable[..., Any]) -> None:
    add_queue("NO_CLOUD_TEST", '{"status": "brokeroff"}')
    add_queue("NO_STATUS_TEST", "{}")
    null = by_cloud(get_json(CLOUDS))[None]
    assert null["queues"] == queues_by_status(None) and null["queues"]["brokeroff"] >= 1 and null["queues"]["null"] >= 1


def test_its_queue_counts_agree_with_the_queue_list(get_json: Callable[..., Any]) -> None:
    row = by_cloud(get_json(CLOUDS))["DE"]
    for status, count in row["queues"].items():
        assert get_json(with_query("/api/sites/", cloud="DE", status=status))["meta"]["count"] == count


@pytest.mark.parametrize("hours", [1, 12, 24 * 4])
def test_its_jobs_by_jobstatus_are_those_of_the_orm(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    rows = by_cloud(get_json(CLOUDS, **fixed.params))
    assert any(row["jobs"] for row in rows.values())
    for cloud, row in rows.items():
        assert row["jobs"] == dict(fixed.jobs_by_status(Q(cloud=cloud))), cloud


def test_its_jobs_are_counted_by_the_job_s_own_cloud(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], seed_now: datetime) -> None:
    fixed = window(12)
    before = fixed.jobs_by_status(Q(cloud="CA"))
    # A job that ran in another cloud's queue, brokered under CA.
    JobsActive4(pandaid=9_100_000_001, computingsite="BNL_ATLAS_PROD", cloud="CA", jobstatus="running",
                modificationtime=seed_now - timedelta(minutes=5)).save(force_insert=True)
    rows = by_cloud(get_json(CLOUDS, **fixed.params))
    assert rows["CA"]["jobs"]["running"] == before["running"] + 1


def test_a_cloud_only_jobs_name_is_listed_without_queues(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], seed_now: datetime) -> None:
    JobsActive4(pandaid=9_100_000_002, computingsite="BNL_ATLAS_PROD", cloud="WORLD", jobstatus="activated",
                modificationtime=seed_now - timedelta(minutes=5)).save(force_insert=True)
    row = by_cloud(get_json(CLOUDS, **window(12).params))["WORLD"]
    assert row["queues"] == {} and row["jobs"]["activated"] >= 1


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


def test_it_costs_one_query_for_the_documents_and_one_per_job_table(anon_client: Client, django_assert_num_queries: Any) -> None:
    # SCHEDCONFIG_JSON (once, then cached), and the 4 live job tables (the archive is beyond 12 hours).
    with django_assert_num_queries(5, connection=connections["panda"]):
        assert anon_client.get(CLOUDS).status_code == 200
