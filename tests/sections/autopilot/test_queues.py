"""Queues by region (/api/autopilot/queues/): per queue, its workers now
(HARVESTER_WORKER_STATS) and its workers in the window (HARVESTER_WORKERS)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from pandjango.pandadb.models import HarvesterWorkerStats
from tests.api_helpers import assert_matches_schema, with_query
from tests.queues_helpers import add_queue, documents

from .conftest import FixedWindow

QUEUES = "/api/autopilot/queues/"


def queues_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {queue["nickname"]: queue for region in body["data"] for queue in region["queues"]}


def workers_now() -> dict[str, dict[str, int]]:
    """Per queue, HARVESTER_WORKER_STATS' workers by status, added up in Python."""
    now: dict[str, Counter[str]] = defaultdict(Counter)
    for stat in HarvesterWorkerStats.objects.all():
        now[stat.computingsite][stat.status] += stat.n_workers or 0
    return {site: dict(counts) for site, counts in now.items()}


def test_it_groups_every_queue_by_cloud_and_region(get_json: Callable[..., Any]) -> None:
    body = get_json(QUEUES)
    docs = documents()
    assert set(queues_of(body)) == set(docs)
    groups = [(region["cloud"], region["region"]) for region in body["data"]]
    assert len(groups) == len(set(groups)) == body["meta"]["count"], "each cloud/region once"
    assert groups == sorted(groups, key=lambda g: (g[0] or "", g[1] or ""))
    for region in body["data"]:
        names = [queue["nickname"] for queue in region["queues"]]
        assert names == sorted(names)
        for queue in region["queues"]:
            doc = docs[queue["nickname"]]
            assert (queue["cloud"], queue["region"]) == (region["cloud"], region["region"]) == (doc.get("cloud"), doc.get("region"))
            assert (queue["status"], queue["harvester"]) == (doc.get("status"), doc.get("harvester"))


def test_each_queue_has_its_workers_now_from_the_worker_stats(get_json: Callable[..., Any]) -> None:
    now = workers_now()
    assert now, "the seed reports workers now"
    for nickname, queue in queues_of(get_json(QUEUES)).items():
        expected = now.get(nickname, {})
        assert queue["workers_now"] == {"total": sum(expected.values()), "by_status": expected}


@pytest.mark.parametrize("hours", [1, 12, 72])
def test_each_queue_has_its_workers_in_the_window_by_status(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int
) -> None:
    fixed = window(hours)
    queues = queues_of(get_json(QUEUES, **fixed.params))
    assert sum(queue["workers"]["total"] for queue in queues.values()) > 0
    for nickname, queue in queues.items():
        assert queue["workers"] == fixed.worker_counts_at(nickname)
        assert list(queue["workers"]["by_status"].values()) == sorted(queue["workers"]["by_status"].values(), reverse=True)


def test_a_queue_without_workers_has_zero_counts(get_json: Callable[..., Any]) -> None:
    add_queue("EMPTY_TEST_QUEUE", json.dumps({"cloud": "CA", "region": "TestRegion", "status": "online"}))
    queue = queues_of(get_json(QUEUES, cloud="CA"))["EMPTY_TEST_QUEUE"]
    assert queue["workers"] == queue["workers_now"] == {"total": 0, "by_status": {}}


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(QUEUES, days=3), "autopilot.queues")


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"cloud": "DE"}, lambda d: d.get("cloud") == "DE"),
        ({"cloud": "DE|FR"}, lambda d: d.get("cloud") in ("DE", "FR")),
        ({"cloud": "!US"}, lambda d: d.get("cloud") != "US"),
        ({"nickname": "ANALY_*"}, lambda d: d["nickname"].startswith("ANALY_")),
        ({"nickname": "*_MCORE|TRIUMF_PROD"}, lambda d: d["nickname"].endswith("_MCORE") or d["nickname"] == "TRIUMF_PROD"),
        ({"region": "!*E*"}, lambda d: d.get("region") is None or "E" not in d["region"]),
        ({"cloud": "US", "nickname": "!ANALY_*"}, lambda d: d.get("cloud") == "US" and not d["nickname"].startswith("ANALY_")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_queues(
    get_json: Callable[..., Any], params: dict[str, str], keep: Callable[[dict[str, Any]], bool]
) -> None:
    wanted = {nickname for nickname, doc in documents().items() if keep({**doc, "nickname": nickname})}
    assert 0 < len(wanted) < len(documents())
    assert set(queues_of(get_json(with_query(QUEUES, **params)))) == wanted


@pytest.mark.parametrize(("params", "field"), [({"tier": "T1"}, "tier"), ({"cloud": "a||b"}, "cloud"), ({"hours": "-3"}, "hours"), ({"limit": "5"}, "limit")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(QUEUES, **params), status=400)["error"]["fields"]


def test_it_says_when_the_worker_groups_were_cut(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    assert get_json(QUEUES, days=3)["meta"]["truncated"] is False
    pandjango_config("limits.max_summary_rows", 3)
    body = get_json(QUEUES, days=2)
    assert body["meta"]["truncated"] is True
    assert sum(len(queue["workers"]["by_status"]) for queue in queues_of(body).values()) == 3


def test_it_costs_two_queries_once_the_queues_are_read(anon_client: Client, get_json: Callable[..., Any], django_assert_num_queries: Any) -> None:
    get_json(QUEUES, cloud="US")  # reads and keeps the queues' documents
    with django_assert_num_queries(2, connection=connections["panda"]):
        assert anon_client.get(QUEUES, {"cloud": "!CA", "days": "2"}).status_code == 200
