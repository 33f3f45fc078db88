"""The overview (/api/autopilot/info/): workers in the window, workers that ran no job,
Harvester instances up and stale, and the newest worker update."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Exists, Max, OuterRef, Q
from django.test import Client
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.models import HarvesterInstances, HarvesterRelJobsWorkers, HarvesterWorkers
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

INFO = "/api/autopilot/info/"


def ran_no_job() -> Q:
    related = HarvesterRelJobsWorkers.objects.filter(harvesterid=OuterRef("harvesterid"), workerid=OuterRef("workerid"))
    return Q(njobs=0) | ~Exists(related)


@pytest.mark.parametrize("hours", [1, 12, 96])
def test_it_counts_the_workers_in_the_window_by_status(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    workers = get_json(INFO, **fixed.params)["data"]["workers"]
    expected = fixed.worker_counts()
    assert expected["total"] > 0
    assert (workers["total"], workers["by_status"]) == (expected["total"], expected["by_status"])
    assert workers["no_jobs"] == fixed.workers(ran_no_job()).count()
    assert 0 < workers["no_jobs"] < workers["total"]


def test_a_worker_counts_as_without_a_job_by_its_njobs_or_by_its_missing_relation(
    get_json: Callable[..., Any], add_worker: Callable[..., HarvesterWorkers], window: Callable[[float], FixedWindow]
) -> None:
    fixed = window(12)
    before = get_json(INFO, **fixed.params)["data"]["workers"]["no_jobs"]
    add_worker(njobs=0)
    add_worker(njobs=1)  # no job names it
    add_worker(njobs=None)
    ran = add_worker(njobs=2)
    HarvesterRelJobsWorkers.objects.create(harvesterid=ran.harvesterid, workerid=ran.workerid, pandaid=1, lastupdate=ran.lastupdate)
    after = get_json(INFO, date_from=fixed.params["date_from"], date_to=iso(fixed.end + timedelta(seconds=1)))["data"]["workers"]
    assert after["no_jobs"] == before + 3


def test_it_counts_the_instances_up_and_stale(get_json: Callable[..., Any]) -> None:
    HarvesterInstances.objects.create(harvester_id="test_never_reported", lastupdate=None)
    instances = get_json(INFO)["data"]["instances"]
    fresh_since = timezone.now() - timedelta(seconds=settings.PANDJANGO["limits"]["service_stale_seconds"])
    up = HarvesterInstances.objects.filter(lastupdate__gte=fresh_since).count()
    assert instances == {"total": HarvesterInstances.objects.count(), "up": up, "stale": HarvesterInstances.objects.count() - up}
    assert instances["up"] > 0 and instances["stale"] >= 2, "the seed has a stale instance"


def test_its_newest_update_is_the_newest_lastupdate_of_any_worker(get_json: Callable[..., Any], seed_now: datetime) -> None:
    newest = HarvesterWorkers.objects.aggregate(newest=Max("lastupdate"))["newest"]
    assert newest is not None and newest <= seed_now
    assert get_json(INFO, hours=1)["data"]["newest_worker_update"] == iso(newest)


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(INFO, days=2), "autopilot.info")


@pytest.mark.parametrize(("params", "field"), [({"status": "running"}, "status"), ({"days": "x"}, "days"), ({"hours": "2", "days": "1"}, "hours")])
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(with_query(INFO, **params), status=400)["error"]["fields"]


def test_it_costs_four_queries(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(4, connection=connections["panda"]):
        assert anon_client.get(INFO, {"days": "2"}).status_code == 200
