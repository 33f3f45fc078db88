"""Submission hosts (/api/autopilot/submithosts/): the workers' SUBMISSIONHOST values with
their workers' counts by status in the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb.models import HarvesterWorkers
from tests.api_helpers import assert_matches_schema

from .conftest import FixedWindow

SUBMITHOSTS = "/api/autopilot/submithosts/"


@pytest.mark.parametrize("hours", [1, 12, 96])
def test_it_lists_each_submission_host_with_its_workers_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    body = get_json(SUBMITHOSTS, **fixed.params)
    hosts = [row["submissionhost"] for row in body["data"]]
    assert hosts == sorted(set(fixed.workers().values_list("submissionhost", flat=True)))
    assert body["meta"]["count"] == len(hosts) and body["meta"]["truncated"] is False
    for row in body["data"]:
        assert row["workers"] == fixed.worker_counts(Q(submissionhost=row["submissionhost"]))


def test_a_host_whose_workers_are_all_older_than_the_window_is_not_listed(
    get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers], window: Callable[[float], FixedWindow], seed_now: datetime
) -> None:
    add_worker(submissionhost="old-host", lastupdate=seed_now - timedelta(hours=30))
    add_worker(submissionhost="new-host")
    hosts = {row["submissionhost"] for row in get_json(SUBMITHOSTS, **window(12).params)["data"]}
    assert "new-host" in hosts and "old-host" not in hosts


def test_workers_without_a_submission_host_are_counted_under_null_last(
    get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers], window: Callable[[float], FixedWindow]
) -> None:
    add_worker(submissionhost=None, status="missed")
    add_worker(submissionhost=None, status="missed")
    rows = get_json(SUBMITHOSTS, **window(12).params)["data"]
    assert rows[-1] == {"submissionhost": None, "workers": {"total": 2, "by_status": {"missed": 2}}}


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers]) -> None:
    add_worker(submissionhost=None)
    assert_matches_schema(get_json(SUBMITHOSTS, days=3), "autopilot.submithosts")


def test_it_says_when_the_worker_groups_were_cut(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_summary_rows", 2)
    body = get_json(SUBMITHOSTS, days=3)
    assert body["meta"]["truncated"] is True
    assert sum(len(row["workers"]["by_status"]) for row in body["data"]) == 2


@pytest.mark.parametrize(("params", "field"), [({"submissionhost": "x"}, "submissionhost"), ({"days": "0"}, "days"), ({"limit": "5"}, "limit")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(SUBMITHOSTS, status=400, **params)["error"]["fields"]


def test_it_costs_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(SUBMITHOSTS, {"days": "2"}).status_code == 200
