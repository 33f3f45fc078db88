"""/api/stats/sites/: per queue, jobs finished and failed, efficiency, wall and CPU time."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import connections

from pandjango.pandadb.dates import UNSET, UNSET_BEFORE
from pandjango.pandadb.models import JobsArchived4
from tests.api_helpers import each_job_once

URL = "/api/stats/sites/"


def _ended_jobs(window: Any, **filters: Any) -> list[dict[str, Any]]:
    """Finished and failed jobs that ended in the window, row by row (the plain ORM), each
    job once."""
    return each_job_once(("archived", "archive"), lambda jobs: jobs.filter(
        jobstatus__in=["finished", "failed"], endtime__gte=window.start, endtime__lt=window.end, **filters
    ).values("pandaid", "computingsite", "jobstatus", "starttime", "endtime", "cpuconsumptiontime"))


def _by_site(window: Any) -> dict[str, dict[str, Any]]:
    jobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for job in _ended_jobs(window):
        jobs[job["computingsite"]].append(job)
    out = {}
    for site, rows in jobs.items():
        states = Counter(r["jobstatus"] for r in rows)
        walls = [(r["endtime"] - r["starttime"]).total_seconds() for r in rows if r["starttime"] and r["starttime"] >= UNSET_BEFORE]
        cpu = [r["cpuconsumptiontime"] for r in rows if r["cpuconsumptiontime"] is not None]
        out[site] = {
            "finished": states["finished"],
            "failed": states["failed"],
            "walltime_mean": sum(walls) / len(walls) if walls else None,
            "cputime_total": sum(cpu),
            "cputime_mean": sum(cpu) / len(cpu) if cpu else None,
        }
    return out


@pytest.mark.parametrize("hours", [12, 24 * 4])  # the longer window reaches the PANDAARCH archive
def test_its_counts_and_efficiency_match_the_orm(get_json, last_hours, hours: int) -> None:
    window = last_hours(hours)
    rows = get_json(URL, **window.params(limit=10000))["data"]
    expected = _by_site(window)
    assert {r["computingsite"] for r in rows} == set(expected)
    assert any(r["failed"] for r in rows) and any(r["finished"] for r in rows)
    for row in rows:
        want = expected[row["computingsite"]]
        assert (row["finished"], row["failed"]) == (want["finished"], want["failed"])
        assert row["efficiency"] == pytest.approx(want["finished"] / (want["finished"] + want["failed"]), abs=1e-4)


def test_its_wall_and_cpu_times_match_the_orm(get_json, last_hours) -> None:
    window = last_hours(24)
    rows = get_json(URL, **window.params(limit=10000))["data"]
    expected = _by_site(window)
    for row in rows:
        want = expected[row["computingsite"]]
        assert row["walltime_mean"] == pytest.approx(want["walltime_mean"], abs=0.06)
        assert row["cputime_total"] == want["cputime_total"]
        assert row["cputime_mean"] == pytest.approx(want["cputime_mean"], abs=0.06)


def test_it_leaves_unset_start_times_out_of_the_wall_time(get_json, last_hours) -> None:
    window = last_hours(12)
    job = JobsArchived4.objects.filter(jobstatus="finished", endtime__gte=window.start, endtime__lt=window.end).first()
    assert job is not None
    site = job.computingsite
    JobsArchived4.objects.filter(pk=job.pk).update(starttime=UNSET)
    row = get_json(URL, **window.params(computingsite=site))["data"][0]
    walls = [(r["endtime"] - r["starttime"]).total_seconds() for r in _ended_jobs(window, computingsite=site) if r["starttime"] >= UNSET_BEFORE]
    assert row["walltime_mean"] == pytest.approx(sum(walls) / len(walls) if walls else None, abs=0.06)


def test_it_filters_by_cloud_and_jobtype(get_json, last_hours) -> None:
    window = last_hours(24)
    rows = get_json(URL, **window.params(cloud="US", jobtype="production", limit=10000))["data"]
    jobs = _ended_jobs(window, cloud="US", prodsourcelabel="managed")
    assert rows and {r["computingsite"] for r in rows} == {j["computingsite"] for j in jobs}
    assert sum(r["finished"] + r["failed"] for r in rows) == len(jobs)


def test_it_sorts_limits_and_picks_fields(get_json) -> None:
    body = get_json(URL, sort="-efficiency", limit=5, fields="computingsite,efficiency", days=2)
    rows = body["data"]
    assert len(rows) == 5 and body["meta"]["truncated"] is True
    assert all(set(r) == {"computingsite", "efficiency"} for r in rows)
    assert [r["efficiency"] for r in rows] == sorted((r["efficiency"] for r in rows), reverse=True)
    worst = get_json(URL, sort="efficiency", limit=10000, days=2)["data"]
    assert [r["efficiency"] for r in worst] == sorted(r["efficiency"] for r in worst)


def test_it_rejects_an_unknown_sort_field(get_json) -> None:
    assert "sort" in get_json(URL, status=400, sort="-wall")["error"]["fields"]


def test_it_aggregates_in_the_database(anon_client, django_assert_num_queries) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):  # JOBSARCHIVED4 only, grouped
        assert anon_client.get(URL, {"hours": 24}).status_code == 200
