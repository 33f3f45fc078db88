"""Queues by region (/api/autopilot/queues/): SCHEDINSTANCE counters and pilots per queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from pandjango.pandadb.models import SchedConfig, SchedInstance
from sections.autopilot import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

QUEUES = "/api/autopilot/queues/"


def queues_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {queue["nickname"]: queue for region in body["data"] for queue in region["queues"]}


def orm_nicknames(q: Q) -> set[str]:
    return set(SchedConfig.objects.filter(q).values_list("nickname", flat=True))


def test_it_groups_every_queue_by_cloud_and_region(get_json: Callable[..., Any]) -> None:
    body = get_json(QUEUES)
    assert set(queues_of(body)) == orm_nicknames(Q())
    groups = [(region["cloud"], region["region"]) for region in body["data"]]
    assert groups == sorted(set(groups)), "each cloud/region once, in order"
    assert body["meta"]["count"] == len(groups)
    for region in body["data"]:
        names = [queue["nickname"] for queue in region["queues"]]
        assert names == sorted(names)
        for queue in region["queues"]:
            config = SchedConfig.objects.get(nickname=queue["nickname"])
            assert (config.cloud, config.region) == (region["cloud"], region["region"]) == (queue["cloud"], queue["region"])
            assert (queue["siteid"], queue["status"]) == (config.siteid, config.status)


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    assert_matches_schema(get_json(QUEUES), "autopilot.queues")
    assert_matches_schema(get_json(QUEUES, **window(1).params), "autopilot.queues")


def test_its_counters_are_those_of_schedinstance(get_json: Callable[..., Any]) -> None:
    queues = queues_of(get_json(QUEUES))
    for instance in SchedInstance.objects.all():
        queue = queues[instance.nickname]
        assert [queue[c] for c in queries.SCHEDINSTANCE_COUNTERS] == [getattr(instance, c) for c in queries.SCHEDINSTANCE_COUNTERS]


def test_a_queue_with_several_panda_sites_sums_their_counters(get_json: Callable[..., Any]) -> None:
    first = SchedInstance.objects.get(nickname="TRIUMF_PROD")
    SchedInstance.objects.create(nickname="TRIUMF_PROD", pandasite="TRIUMF-EXTRA", nqueue=7, nqueued=1, nrunning=2, nfinished=3, nfailed=4)
    queue = queues_of(get_json(QUEUES, nickname="TRIUMF_PROD"))["TRIUMF_PROD"]
    assert [queue[c] for c in queries.SCHEDINSTANCE_COUNTERS] == [
        first.nqueue + 7, (first.nqueued or 0) + 1, (first.nrunning or 0) + 2, (first.nfinished or 0) + 3, (first.nfailed or 0) + 4
    ]


def test_a_queue_without_schedinstance_has_null_counters_and_no_pilots(get_json: Callable[..., Any]) -> None:
    SchedConfig.objects.create(nickname="NEW-QUEUE.TEST", cloud="CA", region="CA", status="test")
    queue = queues_of(get_json(QUEUES, nickname="NEW-QUEUE.TEST"))["NEW-QUEUE.TEST"]
    assert all(queue[c] is None for c in queries.SCHEDINSTANCE_COUNTERS)
    assert queue["pilots"] == {"total": 0, "by_state": {}, "by_status": {}}


@pytest.mark.parametrize("hours", [1, 12, 48])
def test_its_pilot_counts_are_those_of_pilotqueue_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    queues = queues_of(get_json(QUEUES, **fixed.params))
    assert any(queue["pilots"]["total"] for queue in queues.values())
    for nickname, queue in queues.items():
        assert queue["pilots"] == fixed.pilot_counts(Q(nickname=nickname)), nickname


def test_its_pilots_add_up_to_the_pilots_list(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    queues = queues_of(get_json(with_query(QUEUES, region="DE|FR", **fixed.params)))
    listed = get_json(with_query("/api/autopilot/pilots/", limit=10000, nickname="|".join(queues), **fixed.params))
    assert sum(queue["pilots"]["total"] for queue in queues.values()) == listed["meta"]["count"] > 0
    for state in ("running", "done"):
        by_state = get_json(with_query("/api/autopilot/pilots/", limit=10000, nickname="|".join(queues), state=state, **fixed.params))
        assert sum(queue["pilots"]["by_state"].get(state, 0) for queue in queues.values()) == by_state["meta"]["count"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cloud": "UK"}, Q(cloud="UK")),
        ({"cloud": "UK|US"}, Q(cloud__in=["UK", "US"])),
        ({"cloud": "!UK|US"}, ~Q(cloud__in=["UK", "US"])),
        ({"region": "IT"}, Q(region="IT")),
        ({"region": "*E*"}, Q(region__contains="E")),
        ({"nickname": "ANALY_*"}, Q(nickname__startswith="ANALY_")),
        ({"nickname": "!*_PROD"}, ~Q(nickname__endswith="_PROD")),
        ({"cloud": "US", "nickname": "ANALY_*"}, Q(cloud="US", nickname__startswith="ANALY_")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_queues(get_json: Callable[..., Any], params: dict[str, str], expected: Q) -> None:
    wanted = orm_nicknames(expected)
    assert 0 < len(wanted) < SchedConfig.objects.count()
    assert set(queues_of(get_json(with_query(QUEUES, **params)))) == wanted


def test_a_filter_matching_nothing_gives_an_empty_list(get_json: Callable[..., Any]) -> None:
    body = get_json(QUEUES, cloud="NOWHERE")
    assert body["data"] == [] and body["meta"]["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [({"state": "running"}, "state"), ({"tier": "T1"}, "tier"), ({"limit": "5"}, "limit"), ({"hours": "1.5"}, "hours"), ({"cloud": "|"}, "cloud")],
)
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(QUEUES, **params), status=400)["error"]["fields"]


def test_it_costs_three_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    # SCHEDCONFIG; SCHEDINSTANCE summed per queue; PILOTQUEUE grouped per queue, state, status.
    with django_assert_num_queries(3, connection=connections["panda"]):
        assert anon_client.get(QUEUES, {"cloud": "!CA", "days": "2"}).status_code == 200
