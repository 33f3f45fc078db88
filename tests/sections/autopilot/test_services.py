"""Scheduler services (/api/autopilot/services/): status, heartbeat, and the stale flag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pandjango.pandadb.models import ServiceList
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

SERVICES = "/api/autopilot/services/"
UNSET = datetime(1970, 1, 1, tzinfo=UTC)


def by_id(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in body["data"]}


def add_service(id: int, tcheck: datetime | None, lastmod: datetime | None) -> ServiceList:
    return ServiceList.objects.create(id=id, name=f"test-service-{id}", host="testhost", type="pilotfactory", status="running", tcheck=tcheck, lastmod=lastmod)


def orm_heartbeat(service: ServiceList) -> datetime | None:
    known = [t for t in (service.tcheck, service.lastmod) if t is not None and t.year != 1970]
    return max(known) if known else None


def test_it_lists_every_service_by_id_without_operator_commands(get_json: Callable[..., Any]) -> None:
    body = get_json(SERVICES)
    assert [row["id"] for row in body["data"]] == list(ServiceList.objects.order_by("id").values_list("id", flat=True))
    assert body["meta"]["count"] == ServiceList.objects.count()
    for row in body["data"]:
        assert set(row) == {*queries.SERVICE_COLUMNS, "heartbeat", "seconds_since_heartbeat", "stale"}
        assert not {"restartcmd", "doaction", "config"} & set(row)
        service = ServiceList.objects.get(id=row["id"])
        assert (row["name"], row["host"], row["status"]) == (service.name, service.host, service.status)


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    add_service(900, None, None)
    assert_matches_schema(get_json(SERVICES), "autopilot.services")


def test_its_heartbeat_is_the_newer_of_tcheck_and_lastmod(get_json: Callable[..., Any]) -> None:
    now = timezone.now().replace(microsecond=0)
    add_service(901, now - timedelta(hours=5), now - timedelta(minutes=1))
    add_service(902, now - timedelta(minutes=2), now - timedelta(hours=6))
    add_service(903, UNSET, now - timedelta(minutes=3))
    add_service(904, None, now - timedelta(minutes=4))
    rows = by_id(get_json(SERVICES))
    for service in ServiceList.objects.all():
        heartbeat = orm_heartbeat(service)
        assert rows[service.id]["heartbeat"] == (heartbeat.strftime("%Y-%m-%dT%H:%M:%SZ") if heartbeat else None), service.id
    assert [rows[i]["stale"] for i in (901, 902, 903, 904)] == [False] * 4


def test_a_service_without_any_heartbeat_is_stale(get_json: Callable[..., Any]) -> None:
    add_service(905, None, None)
    add_service(906, UNSET, UNSET)
    rows = by_id(get_json(SERVICES))
    for i in (905, 906):
        assert rows[i]["heartbeat"] is None and rows[i]["seconds_since_heartbeat"] is None and rows[i]["stale"] is True


def test_seconds_since_heartbeat_counts_from_when_the_answer_was_made(get_json: Callable[..., Any]) -> None:
    body = get_json(SERVICES)
    generated = parse_datetime(body["meta"]["generated_at"])
    assert generated is not None
    for row in body["data"]:
        heartbeat = parse_datetime(row["heartbeat"])
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
    expected = {s.id for s in ServiceList.objects.all() if (heartbeat := orm_heartbeat(s)) is None or (now - heartbeat).total_seconds() > limit}
    rows = get_json(SERVICES)["data"]
    assert {row["id"] for row in rows if row["stale"]} == expected
    if limit == 1:
        assert all(row["stale"] for row in rows)
    if limit == 10**8:
        assert not any(row["stale"] for row in rows)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "pilotfactory"}, Q(type="pilotfactory")),
        ({"type": "pandaserver|jedi"}, Q(type__in=["pandaserver", "jedi"])),
        ({"type": "!pilotfactory"}, ~Q(type="pilotfactory")),
        ({"host": "aipanda*"}, Q(host__startswith="aipanda")),
        ({"name": "*gridui*"}, Q(name__contains="gridui")),
        ({"status": "!running"}, ~Q(status="running")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_services(get_json: Callable[..., Any], params: dict[str, str], expected: Q) -> None:
    wanted = set(ServiceList.objects.filter(expected).values_list("id", flat=True))
    assert 0 < len(wanted) < ServiceList.objects.count()
    assert set(by_id(get_json(with_query(SERVICES, **params)))) == wanted


@pytest.mark.parametrize(("params", "field"), [({"hours": "1"}, "hours"), ({"limit": "5"}, "limit"), ({"grp": "atlas"}, "grp"), ({"type": "a||b"}, "type")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(SERVICES, **params), status=400)["error"]["fields"]


def test_it_costs_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(SERVICES, {"type": "!jedi"}).status_code == 200
