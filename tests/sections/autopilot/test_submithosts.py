"""Submit hosts (/api/autopilot/submithosts/) with their pilots' counts in the window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb.models import PilotQueue, SubmitHosts
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

SUBMITHOSTS = "/api/autopilot/submithosts/"


def by_host(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["host"]: row for row in body["data"]}


def test_it_lists_every_submit_host_of_submithosts_by_host(get_json: Callable[..., Any]) -> None:
    body = get_json(SUBMITHOSTS)
    assert [row["host"] for row in body["data"]] == list(SubmitHosts.objects.order_by("host").values_list("host", flat=True))
    assert body["meta"]["count"] == SubmitHosts.objects.count()
    for row in body["data"]:
        host = SubmitHosts.objects.get(host=row["host"])
        assert row["configured"] is True
        assert (row["name"], row["rundir"], row["outurl"]) == (host.name, host.rundir, host.outurl)
        assert set(row) == {*queries.SUBMITHOST_COLUMNS, "configured", "pilots"}


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue]) -> None:
    add_pilot(submithost="unlisted-host.example.org")
    assert_matches_schema(get_json(SUBMITHOSTS), "autopilot.submithosts")


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_its_pilot_counts_are_those_of_pilotqueue_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    rows = by_host(get_json(SUBMITHOSTS, **fixed.params))
    assert any(row["pilots"]["total"] for row in rows.values())
    for host, row in rows.items():
        assert row["pilots"] == fixed.pilot_counts(Q(submithost=host)), host


def test_its_counts_add_up_to_the_pilots_list(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    rows = by_host(get_json(SUBMITHOSTS, **fixed.params))
    assert sum(row["pilots"]["total"] for row in rows.values()) == get_json("/api/autopilot/pilots/", limit=10000, **fixed.params)["meta"]["count"]
    host = max(rows, key=lambda h: rows[h]["pilots"]["total"])
    for status, count in rows[host]["pilots"]["by_status"].items():
        listed = get_json(with_query("/api/autopilot/pilots/", limit=10000, submithost=host, status=status, **fixed.params))
        assert listed["meta"]["count"] == count


def test_each_host_s_counts_by_state_and_by_status_add_up_to_its_total(get_json: Callable[..., Any]) -> None:
    for row in get_json(SUBMITHOSTS, days=2)["data"]:
        pilots = row["pilots"]
        assert sum(pilots["by_state"].values()) == sum(pilots["by_status"].values()) == pilots["total"]


def test_a_host_that_sends_pilots_without_being_configured_is_listed_too(
    get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue]
) -> None:
    add_pilot(submithost="unlisted-host.example.org", state="done", status="failed")
    add_pilot(submithost="unlisted-host.example.org", state="running", status="active")
    row = by_host(get_json(SUBMITHOSTS))["unlisted-host.example.org"]
    assert row["configured"] is False and row["name"] is None and row["rundir"] is None
    assert row["pilots"] == {"total": 2, "by_state": {"done": 1, "running": 1}, "by_status": {"failed": 1, "active": 1}}


def test_a_configured_host_without_pilots_has_zero_counts(get_json: Callable[..., Any]) -> None:
    SubmitHosts.objects.create(host="idlehost", name="idlehost.cern.ch")
    row = by_host(get_json(SUBMITHOSTS))["idlehost"]
    assert row["configured"] is True and row["pilots"] == {"total": 0, "by_state": {}, "by_status": {}}


@pytest.mark.parametrize(("params", "field"), [({"host": "gridui07"}, "host"), ({"limit": "5"}, "limit"), ({"days": "many"}, "days")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(SUBMITHOSTS, **params), status=400)["error"]["fields"]


def test_it_costs_two_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    # SUBMITHOSTS; PILOTQUEUE grouped by submit host, state and status.
    with django_assert_num_queries(2, connection=connections["panda"]):
        assert anon_client.get(SUBMITHOSTS).status_code == 200
