"""Pilot types (/api/autopilot/pilottypes/): workers by resource type and job type in the
window, with RESOURCE_TYPES' core and memory bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb.models import HarvesterWorkers, ResourceTypes
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema

from .conftest import FixedWindow

PILOTTYPES = "/api/autopilot/pilottypes/"


@pytest.mark.parametrize("hours", [1, 12, 96])
def test_it_counts_the_workers_of_each_resource_type_and_job_type(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    body = get_json(PILOTTYPES, **fixed.params)
    pairs = [(row["resourcetype"], row["jobtype"]) for row in body["data"]]
    assert pairs == sorted(set(fixed.workers().values_list("resourcetype", "jobtype")))
    assert body["meta"]["count"] == len(pairs) and body["meta"]["truncated"] is False
    for row in body["data"]:
        assert row["workers"] == fixed.worker_counts(Q(resourcetype=row["resourcetype"], jobtype=row["jobtype"]))


def test_each_row_has_its_resource_type_s_bounds(get_json: Callable[..., Any]) -> None:
    rows = get_json(PILOTTYPES, days=3)["data"]
    assert rows
    for row in rows:
        known = ResourceTypes.objects.get(resource_name=row["resourcetype"])
        assert row["known_resourcetype"] is True
        assert [row[b] for b in queries.RESOURCE_TYPE_BOUNDS] == [known.mincore, known.maxcore, known.minrampercore, known.maxrampercore]


def test_a_resource_type_resource_types_lacks_has_null_bounds(
    get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers]
) -> None:
    add_worker(resourcetype="GPU_TEST", jobtype="user")
    add_worker(resourcetype=None, jobtype=None)
    rows = {(row["resourcetype"], row["jobtype"]): row for row in get_json(PILOTTYPES)["data"]}
    for key in (("GPU_TEST", "user"), (None, None)):
        assert rows[key]["known_resourcetype"] is False and rows[key]["workers"]["total"] == 1
        assert all(rows[key][b] is None for b in queries.RESOURCE_TYPE_BOUNDS)
    assert list(rows)[-1] == (None, None), "nulls last"


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers]) -> None:
    add_worker(resourcetype=None, jobtype=None)
    assert_matches_schema(get_json(PILOTTYPES, days=3), "autopilot.pilottypes")


def test_it_says_when_the_worker_groups_were_cut(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_summary_rows", 2)
    body = get_json(PILOTTYPES, days=3)
    assert body["meta"]["truncated"] is True
    assert sum(row["workers"]["total"] > 0 for row in body["data"]) <= 2


@pytest.mark.parametrize(("params", "field"), [({"resourcetype": "SCORE"}, "resourcetype"), ({"hours": "x"}, "hours"), ({"sort": "jobtype"}, "sort")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(PILOTTYPES, status=400, **params)["error"]["fields"]


def test_it_costs_two_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2, connection=connections["panda"]):
        assert anon_client.get(PILOTTYPES, {"days": "2"}).status_code == 200
