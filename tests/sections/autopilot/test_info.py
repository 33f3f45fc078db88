"""The autopilot overview (/api/autopilot/info/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Max, Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.models import PilotQueue
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

INFO = "/api/autopilot/info/"
MAX = 10000


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(INFO), "autopilot.info")


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_its_pilots_by_state_and_status_are_those_of_pilotqueue(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    pilots = get_json(INFO, **fixed.params)["data"]["pilots"]
    assert {k: pilots[k] for k in ("total", "by_state", "by_status")} == fixed.pilot_counts()
    assert pilots["total"] > 0


def test_its_pilot_total_agrees_with_every_other_autopilot_endpoint(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    total = get_json(INFO, **fixed.params)["data"]["pilots"]["total"]
    assert get_json("/api/autopilot/pilots/", limit=MAX, **fixed.params)["meta"]["count"] == total
    assert sum(row["pilots"]["total"] for row in get_json("/api/autopilot/submithosts/", **fixed.params)["data"]) == total
    assert sum(row["pilots"]["total"] for row in get_json("/api/autopilot/pilottypes/", **fixed.params)["data"]) == total
    regions = get_json("/api/autopilot/queues/", **fixed.params)["data"]
    assert sum(queue["pilots"]["total"] for region in regions for queue in region["queues"]) == total


def test_its_state_counts_agree_with_the_pilots_list(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    pilots = get_json(INFO, **fixed.params)["data"]["pilots"]
    for state, count in pilots["by_state"].items():
        assert get_json("/api/autopilot/pilots/", limit=MAX, state=state, **fixed.params)["meta"]["count"] == count
    for status, count in pilots["by_status"].items():
        assert get_json(with_query("/api/autopilot/pilots/", limit=MAX, status=status, **fixed.params))["meta"]["count"] == count


def test_it_counts_the_pilots_that_found_no_work(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], add_pilot: Callable[..., PilotQueue]
) -> None:
    fixed = window(12)
    add_pilot(state="done", status="finished", errinfo=queries.NO_JOBS)
    add_pilot(state="done", status="failed", errcode=1099, errinfo="stage-in failed")
    expected = fixed.pilots(Q(errinfo="Dispatcher has no jobs")).count()
    assert expected > 1
    assert get_json(INFO, **fixed.params)["data"]["pilots"]["no_jobs"] == expected


def test_its_active_submit_hosts_are_those_with_pilots_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], add_pilot: Callable[..., PilotQueue], seed_now: datetime
) -> None:
    fixed = window(1)
    add_pilot(submithost="unlisted-host.example.org", tstate=seed_now - timedelta(minutes=5))
    add_pilot(submithost="long-gone-host", tstate=seed_now - timedelta(hours=5))
    expected = set(fixed.pilots().values_list("submithost", flat=True))
    assert "unlisted-host.example.org" in expected and "long-gone-host" not in expected
    assert get_json(INFO, **fixed.params)["data"]["submithosts"]["active"] == len(expected)
    hosts = get_json("/api/autopilot/submithosts/", **fixed.params)["data"]
    assert {row["host"] for row in hosts if row["pilots"]["total"]} == expected


def test_its_services_up_and_stale_agree_with_the_services_list(get_json: Callable[..., Any]) -> None:
    services = get_json(INFO)["data"]["services"]
    rows = get_json("/api/autopilot/services/")["data"]
    stale = sum(row["stale"] for row in rows)
    assert services == {"total": len(rows), "up": len(rows) - stale, "stale": stale}
    assert 0 < stale < len(rows)


@pytest.mark.parametrize(("limit", "stale"), [(1, "all"), (10**8, "none")])
def test_its_stale_services_follow_limits_service_stale_seconds(
    get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None], limit: int, stale: str
) -> None:
    pandjango_config("limits.service_stale_seconds", limit)
    services = get_json(INFO)["data"]["services"]
    assert services["stale"] == (services["total"] if stale == "all" else 0)
    assert services["up"] == services["total"] - services["stale"]


def test_its_newest_pilot_update_is_the_newest_tstate(get_json: Callable[..., Any]) -> None:
    newest = PilotQueue.objects.aggregate(m=Max("tstate"))["m"]
    assert parse_datetime(get_json(INFO)["data"]["newest_pilot_update"]) == newest


def test_its_newest_pilot_update_does_not_depend_on_the_window(get_json: Callable[..., Any], add_pilot: Callable[..., PilotQueue], seed_now: datetime) -> None:
    pilot = add_pilot(tstate=seed_now + timedelta(minutes=30))
    data = get_json(INFO, hours=1)["data"]
    assert parse_datetime(data["newest_pilot_update"]) == pilot.tstate


@pytest.mark.parametrize(
    ("params", "field"), [({"nickname": "X"}, "nickname"), ({"hours": "0"}, "hours"), ({"days": "9999"}, "days"), ({"limit": "1"}, "limit")]
)
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(INFO, **params), status=400)["error"]["fields"]


def test_it_costs_four_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    # Pilots by state and status; no-jobs pilots and submit hosts; services by staleness;
    # the newest TSTATE.
    with django_assert_num_queries(4, connection=connections["panda"]):
        assert anon_client.get(INFO).status_code == 200


def test_it_is_closed_to_anonymous_users_when_the_section_is_in_beta(
    get_json: Callable[..., Any], beta_client: Client, staff_client: Client, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.autopilot.state", "beta")
    assert get_json(INFO, status=403)["error"]["code"] == "forbidden"
    get_json("/api/autopilot/pilots/", status=403)
    assert get_json(INFO, client=beta_client)["data"]["pilots"]
    assert get_json(INFO, client=staff_client)["data"]["pilots"]
