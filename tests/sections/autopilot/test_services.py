"""Harvester instances (/api/autopilot/services/): host, owner, version, heartbeat, the stale
flag, and their workers in the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.models import HarvesterInstances
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema

from .conftest import FixedWindow

SERVICES = "/api/autopilot/services/"


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["harvester_id"]: row for row in body["data"]}


def add_instance(harvester_id: str, lastupdate: Any) -> HarvesterInstances:
    return HarvesterInstances.objects.create(harvester_id=harvester_id, hostname="testhost", owner="atlpan", sw_version="0.0.1", lastupdate=lastupdate)


def test_it_lists_every_instance_by_id_with_its_host_owner_and_version(get_json: Callable[..., Any]) -> None:
    body = get_json(SERVICES)
    assert [row["harvester_id"] for row in body["data"]] == list(HarvesterInstances.objects.order_by("harvester_id").values_list("harvester_id", flat=True))
    assert body["meta"]["count"] == HarvesterInstances.objects.count()
    for row in body["data"]:
        assert set(row) == {*queries.INSTANCE_COLUMNS, "seconds_since_heartbeat", "stale", "workers"}
        instance = HarvesterInstances.objects.get(harvester_id=row["harvester_id"])
        assert (row["hostname"], row["owner"], row["sw_version"]) == (instance.hostname, instance.owner, instance.sw_version)
        assert parse_datetime(row["lastupdate"]) == instance.lastupdate


@pytest.mark.parametrize("hours", [1, 24])
def test_each_instance_has_its_workers_in_the_window(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    rows = by_id(get_json(SERVICES, **fixed.params))
    assert any(row["workers"]["total"] for row in rows.values())
    for harvester_id, row in rows.items():
        assert row["workers"] == fixed.worker_counts(Q(harvesterid=harvester_id))


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    add_instance("test_never_reported", None)
    assert_matches_schema(get_json(SERVICES), "autopilot.services")


def test_an_instance_without_any_heartbeat_is_stale(get_json: Callable[..., Any]) -> None:
    add_instance("test_never_reported", None)
    row = by_id(get_json(SERVICES))["test_never_reported"]
    assert row["lastupdate"] is None and row["seconds_since_heartbeat"] is None and row["stale"] is True


def test_seconds_since_heartbeat_counts_from_when_the_answer_was_made(get_json: Callable[..., Any]) -> None:
    body = get_json(SERVICES)
    generated = parse_datetime(body["meta"]["generated_at"])
    assert generated is not None
    for row in body["data"]:
        heartbeat = parse_datetime(row["lastupdate"])
        assert heartbeat is not None
        assert abs((generated - heartbeat).total_seconds() - row["seconds_since_heartbeat"]) <= 1


def test_stale_means_no_heartbeat_for_longer_than_the_configured_limit(get_json: Callable[..., Any]) -> None:
    limit = settings.PANDJANGO["limits"]["service_stale_seconds"]
    rows = get_json(SERVICES)["data"]
    assert {row["stale"] for row in rows} == {True, False}, "the seed has both"
    for row in rows:
        assert row["stale"] == (row["seconds_since_heartbeat"] > limit)


@pytest.mark.parametrize("limit", [1, 3600, 10**8])
def test_the_stale_flag_follows_limits_service_stale_seconds(
    get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None], limit: int
) -> None:
    pandjango_config("limits.service_stale_seconds", limit)
    now = timezone.now()
    add_instance("test_just_now", now - timedelta(seconds=2))
    expected = {i.harvester_id for i in HarvesterInstances.objects.all() if i.lastupdate is None or (now - i.lastupdate).total_seconds() > limit}
    rows = get_json(SERVICES)["data"]
    assert {row["harvester_id"] for row in rows if row["stale"]} == expected
    if limit == 1:
        assert all(row["stale"] for row in rows)
    if limit == 10**8:
        assert not any(row["stale"] for row in rows)


@pytest.mark.parametrize(("params", "field"), [({"hostname": "x"}, "hostname"), ({"hours": "0"}, "hours"), ({"limit": "5"}, "limit")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(SERVICES, status=400, **params)["error"]["fields"]


def test_it_costs_two_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2, connection=connections["panda"]):
        assert anon_client.get(SERVICES, {"days": "2"}).status_code == 200
