"""Every registered raw query gives, on the seeded data, the same rows as its ORM equivalent
for the same parameters (on SQLite and on MariaDB: the suite runs on both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from pandjango.pandadb.models import HarvesterWorkers, JobsArchived4
from pandjango.rawsql import registry, running

from .rawsql_orm import ORM


@dataclass
class Sample:
    """Values that exist in the seeded data, to filter on."""

    now: datetime
    sites: list[str]
    clouds: list[str]
    tasks: list[int]
    users: list[str]
    worker_sites: list[str]

    def ago(self, hours: float) -> dict[str, datetime]:
        return {"date_from": self.now - timedelta(hours=hours), "date_to": self.now}


@pytest.fixture
def sample() -> Sample:
    def distinct(qs: Any, column: str, n: int) -> list[Any]:
        return sorted({v for v in qs.values_list(column, flat=True) if v is not None})[:n]

    failed = JobsArchived4.objects.filter(jobstatus="failed")
    return Sample(
        now=timezone.now(),
        sites=distinct(failed, "computingsite", 4),
        clouds=distinct(JobsArchived4.objects.all(), "cloud", 3),
        tasks=distinct(failed, "jeditaskid", 5),
        users=distinct(failed, "produsername", 3),
        worker_sites=distinct(HarvesterWorkers.objects.all(), "computingsite", 5),
    )


Case = Callable[[Sample], dict[str, Any]]

CASES: dict[str, list[Case]] = {
    "production.jobs_summary": [
        lambda s: {**s.ago(12), "groupby": ["jobstatus"]},
        lambda s: {**s.ago(12), "groupby": ["computingsite"]},
        lambda s: {**s.ago(96), "groupby": ["computingsite", "jobstatus"]},  # reaches the archive
        lambda s: {**s.ago(48), "groupby": ["cloud", "prodsourcelabel"], "jobstatus": ["finished", "failed"], "cloud_not": s.clouds[:1]},
        lambda s: {**s.ago(96), "groupby": ["jeditaskid", "jobstatus"], "jeditaskid": s.tasks},
        lambda s: {**s.ago(24), "groupby": ["produsername"], "tables": ["active", "archived"], "computingsite": s.sites},
        lambda s: {**s.ago(24), "groupby": ["processingtype"], "prodsourcelabel": ["managed"], "produsername_not": s.users},
    ],
    "production.failed_jobs_by_code": [
        lambda s: s.ago(12),
        lambda s: s.ago(96),
        lambda s: {**s.ago(72), "computingsite": s.sites, "tables": ["archived"]},
        lambda s: {**s.ago(96), "cloud_not": s.clouds[:2], "jeditaskid_not": s.tasks[:1]},
    ],
    "production.failed_jobs_by": [
        lambda s: {**s.ago(12), "groupby": "computingsite"},
        lambda s: {**s.ago(96), "groupby": "produsername"},
        lambda s: {**s.ago(48), "groupby": "jeditaskid", "prodsourcelabel": ["managed", "user"]},
    ],
    "stats.jobs": [
        lambda s: {**s.ago(12), "rows": "cloud", "cols": "jobstatus"},
        lambda s: {**s.ago(96), "rows": "computingsite", "cols": "prodsourcelabel", "jobstatus": ["running", "failed"]},
        lambda s: {**s.ago(24), "rows": "gshare", "cols": "resource_type", "cloud": s.clouds},
    ],
    "stats.jobs_timeseries": [
        lambda s: {**s.ago(24), "bin_seconds": "1h", "time": "endtime", "jobstatus": ["finished"], "tables": ["archived"]},
        lambda s: {**s.ago(96), "bin_seconds": "1d", "time": "endtime", "jobstatus": ["failed"], "tables": ["archived", "archive"], "groupby": "cloud"},
        lambda s: {**s.ago(12), "bin_seconds": "15m", "time": "creationtime", "groupby": "jobstatus"},
        lambda s: {**s.ago(6), "bin_seconds": "5m", "time": "creationtime", "computingsite": s.sites},
    ],
    "stats.sites": [
        lambda s: s.ago(12),
        lambda s: {**s.ago(96), "jobstatus": ["failed"]},  # reaches the archive
        lambda s: {**s.ago(48), "cloud_not": s.clouds[:1], "computingsite": s.sites},
        lambda s: {**s.ago(24), "jeditaskid": s.tasks, "tables": ["archived"], "jobstatus_not": ["finished"]},
    ],
    "stats.pilots_timeseries": [
        lambda s: {**s.ago(24), "bin_seconds": "1h"},
        lambda s: {**s.ago(12), "bin_seconds": "15m", "groupby": "status"},
        lambda s: {**s.ago(96), "bin_seconds": "1d", "groupby": "computingsite", "computingsite": s.worker_sites},
        lambda s: {**s.ago(24), "bin_seconds": "1h", "groupby": "harvesterid", "resourcetype_not": ["MCORE"], "jobtype": ["managed"]},
        lambda s: {**s.ago(6), "bin_seconds": "5m", "status_not": ["finished"]},
    ],
    "autopilot.queue_pilot_counts": [
        lambda s: s.ago(12),
        lambda s: {**s.ago(96), "computingsite": s.worker_sites},
        lambda s: {**s.ago(24), "computingsite_not": s.worker_sites[:2]},
    ],
}


def test_every_registered_query_has_cases_here() -> None:
    assert {q.name for q in registry.all_queries()} == set(CASES) == set(ORM)


@pytest.mark.parametrize(
    ("name", "case"),
    [pytest.param(name, case, id=f"{name}-{i}") for name, cases in CASES.items() for i, case in enumerate(cases)],
)
def test_the_raw_query_gives_the_rows_of_the_orm(name: str, case: Case, sample: Sample) -> None:
    params = case(sample)
    raw = running.run(name, **params)
    orm = ORM[name](**params)
    assert raw, f"{name}: the case selects nothing, so it proves nothing"
    assert raw == orm


def test_the_rows_are_plain_dicts_of_plain_values(sample: Sample) -> None:
    rows = running.run("production.jobs_summary", **sample.ago(24), groupby=["jobstatus"])
    assert all(type(row) is dict and set(row) == {"jobstatus", "count"} for row in rows)
    assert all(type(row["count"]) is int for row in rows)


def test_the_summary_comes_biggest_count_first(sample: Sample) -> None:
    counts = [row["count"] for row in running.run("production.jobs_summary", **sample.ago(96), groupby=["computingsite"])]
    assert counts == sorted(counts, reverse=True)


def test_a_value_matching_nothing_gives_no_rows(sample: Sample) -> None:
    assert running.run("production.jobs_summary", **sample.ago(12), groupby=["jobstatus"], computingsite=["NO_SUCH_QUEUE"]) == []


def test_a_table_the_window_does_not_reach_is_not_read(sample: Sample, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0, using="panda"):
        assert running.run("production.failed_jobs_by", **sample.ago(12), groupby="computingsite", tables=["archive"]) == []
    assert ORM["production.failed_jobs_by"](**sample.ago(12), groupby="computingsite", tables=["archive"]) == []


def test_a_hostile_value_is_only_ever_a_value(sample: Sample) -> None:
    hostile = ["x' OR '1'='1", "a'); DELETE FROM jobsactive4; --", "/* */ UNION SELECT 1"]
    assert running.run("production.jobs_summary", **sample.ago(96), groupby=["jobstatus"], computingsite=hostile) == []
    assert JobsArchived4.objects.exists()
