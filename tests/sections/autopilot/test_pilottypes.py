"""Pilot types (/api/autopilot/pilottypes/) with their pilots' counts in the window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb.models import PilotQueue, PilotType
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

PILOTTYPES = "/api/autopilot/pilottypes/"


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in body["data"]}


def test_it_lists_every_pilot_type_of_pilottype_by_name(get_json: Callable[..., Any]) -> None:
    body = get_json(PILOTTYPES)
    assert [row["name"] for row in body["data"]] == list(PilotType.objects.order_by("name").values_list("name", flat=True))
    for row in body["data"]:
        config = PilotType.objects.get(name=row["name"])
        assert (row["script"], row["url"], row["system"], row["configured"]) == (config.script, config.url, config.system, True)
        assert set(row) == {*queries.PILOTTYPE_COLUMNS, "configured", "pilots"}


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue]) -> None:
    add_pilot(type="newType")
    assert_matches_schema(get_json(PILOTTYPES), "autopilot.pilottypes")


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_its_pilot_counts_are_those_of_pilotqueue_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    rows = by_name(get_json(PILOTTYPES, **fixed.params))
    assert any(row["pilots"]["total"] for row in rows.values())
    for name, row in rows.items():
        assert row["pilots"] == fixed.pilot_counts(Q(type=name)), name


def test_its_counts_agree_with_the_pilots_list_filtered_by_type(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    rows = by_name(get_json(PILOTTYPES, **fixed.params))
    listed = get_json("/api/autopilot/pilots/", limit=10000, **fixed.params)["meta"]["count"]
    assert sum(row["pilots"]["total"] for row in rows.values()) == listed
    for name, row in rows.items():
        assert get_json(with_query("/api/autopilot/pilots/", limit=10000, type=name, **fixed.params))["meta"]["count"] == row["pilots"]["total"]


def test_a_type_that_pilots_use_without_it_being_configured_is_listed_too(
    get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue]
) -> None:
    add_pilot(type="atlasNewType", state="running", status="active")
    row = by_name(get_json(PILOTTYPES))["atlasNewType"]
    assert row["configured"] is False and row["script"] is None
    assert row["pilots"] == {"total": 1, "by_state": {"running": 1}, "by_status": {"active": 1}}


@pytest.mark.parametrize(("params", "field"), [({"type": "atlasTest"}, "type"), ({"sort": "name"}, "sort"), ({"date_from": "soon"}, "date_from")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(PILOTTYPES, **params), status=400)["error"]["fields"]


def test_it_costs_two_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    # PILOTTYPE; PILOTQUEUE grouped by type, state and status.
    with django_assert_num_queries(2, connection=connections["panda"]):
        assert anon_client.get(PILOTTYPES).status_code == 200
