"""The jobs that ended in a window (the time series of jobs finished and failed, the per-queue
efficiency) answered from the ended jobs' rollup (EndCount) are the answers read directly:
for every bin size, windows starting early, late, on the hour and on a 5-minute mark, an
explicit end, a groupby and filters; jobs ending just inside and outside each edge of the
window and of its cut 5-minute units; a job modified before the start that ended after it;
jobs archived after the refresher's run (the answer as of the run with a fresh snapshot, the
direct one otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.pandadb.models import JOB_MODELS
from pandjango.rollups.models import ACTIVE, END_ROLLUPS, JOBS, EndCount, EndHourCount, EndStateCount, RollupState
from tests.pandjango.rollups_helpers import NEW_PANDAID, a_job, refreshed, write_job

SERIES = "/api/stats/timeseries/"
SITES = "/api/stats/sites/"

# Requests answered from EndCount: both metrics, every bin, a groupby, filters.
CASES = [
    (SERIES, {"metric": "jobs_finished", "bin": "5m"}),
    (SERIES, {"metric": "jobs_finished", "bin": "1h"}),  # hours, then 5 minutes by state, then EndCount
    (SERIES, {"metric": "jobs_failed", "bin": "1h", "groupby": "computingsite"}),  # hours, then EndCount
    (SERIES, {"metric": "jobs_finished", "bin": "15m", "groupby": "computingsite", "top": "5"}),
    (SERIES, {"metric": "jobs_failed", "bin": "1h", "groupby": "cloud"}),
    (SERIES, {"metric": "jobs_finished", "bin": "1d", "cloud": "!US", "jobtype": "production|analysis"}),
    (SERIES, {"metric": "jobs_failed", "bin": "5m", "jobstatus": "failed|finished", "groupby": "prodsourcelabel"}),
    (SITES, {}),
    (SITES, {"cloud": "US|DE|FR", "sort": "computingsite"}),
]
# Where a window may start in its hour: early, late, on the hour, on a 5-minute mark.
STARTS = {"early": (10, 30), "late": (50, 30), "on the hour": (0, 0), "on 5 minutes": (35, 0)}


def start_at(hours_ago: int, minute: int, second: int) -> datetime:
    return (timezone.now() - timedelta(hours=hours_ago)).replace(minute=minute, second=second, microsecond=0)


def floor5(moment: datetime) -> datetime:
    return datetime.fromtimestamp(int(moment.timestamp()) // 300 * 300, UTC)


@pytest.fixture
def same_either_way(fetch: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """check(url, params, span): the answer from rollups, after checking that it is the direct one."""

    def check(url: str, params: dict[str, str], span: dict[str, str]) -> dict[str, Any]:
        rolled = fetch(url, **span, **params)
        direct = fetch(url, rollups=False, **span, **params)
        assert rolled["meta"]["source"] == "rollup", rolled["meta"]
        assert direct["meta"]["source"] == "direct"
        assert rolled["data"] == direct["data"]
        return rolled

    return check


def counted(answer: dict[str, Any]) -> int:
    """The jobs an answer counts: every series' values, or every queue's finished and failed."""
    if isinstance(answer["data"], list):
        return sum(row["finished"] + row["failed"] for row in answer["data"])
    return sum(sum(series["values"]) for series in answer["data"]["series"])


def test_the_ended_jobs_are_rolled_up_per_hour_of_modification_and_5_minutes_of_end() -> None:
    refreshed(backfill=True)
    since = timezone.now() - timedelta(hours=30)
    ended = JOB_MODELS["archived"]._default_manager.filter(modificationtime__gte=since.replace(minute=0, second=0, microsecond=0))
    assert EndCount.objects.filter(bucket__gte=since.replace(minute=0, second=0, microsecond=0)).aggregate(n=Sum("n"))["n"] == (
        ended.filter(jobstatus__in=["finished", "failed"]).count()
    )
    for model in END_ROLLUPS:
        endbins = list(model._default_manager.values_list("endbin", flat=True))
        assert endbins and all(endbin % model.unit == 0 for endbin in endbins)
    # The hourly table: the same jobs and sums, by queue and state.
    by_site = EndHourCount.objects.values("computingsite", "jobstatus").annotate(n=Sum("n"), cpu=Sum("cpu_sum")).order_by()
    finest = EndCount.objects.values("computingsite", "jobstatus").annotate(n=Sum("n"), cpu=Sum("cpu_sum")).order_by()
    assert sorted(by_site, key=str) == sorted(finest, key=str)
    assert EndHourCount.objects.count() < EndCount.objects.count()
    # The 5-minute table by state: the same jobs and sums per unit of ENDTIME and hour of MODIFICATIONTIME.
    by_state = EndStateCount.objects.values("bucket", "endbin", "jobstatus").annotate(n=Sum("n"), wall=Sum("wall_sum")).order_by()
    finest = EndCount.objects.values("bucket", "endbin", "jobstatus").annotate(n=Sum("n"), wall=Sum("wall_sum")).order_by()
    assert sorted(by_state, key=str) == sorted(finest, key=str)
    assert EndStateCount.objects.count() < EndCount.objects.count()


@pytest.mark.parametrize("where", STARTS)
@pytest.mark.parametrize(("url", "params"), CASES)
def test_an_answer_from_the_ended_jobs_rollup_is_the_direct_answer(
    same_either_way: Callable[..., dict[str, Any]], url: str, params: dict[str, str], where: str
) -> None:
    refreshed(backfill=True)
    start = start_at(30, *STARTS[where])
    answer = same_either_way(url, params, {"date_from": iso(start), "date_to": iso(timezone.now() + timedelta(minutes=1))})
    assert counted(answer) > 0, "an empty answer would prove nothing"
    mark = RollupState.objects.get(name=JOBS).mark
    assert mark is not None and answer["meta"]["fresh_as_of"] == iso(mark)
    # A window ending in the past, at a time not on 5 minutes.
    ended = same_either_way(url, params, {"date_from": iso(start), "date_to": iso(start + timedelta(hours=20, minutes=7, seconds=13))})
    assert counted(ended) > 0


@pytest.mark.parametrize("where", ["early", "on 5 minutes"])
def test_jobs_ending_at_the_edges_of_the_window_and_of_its_cut_units_are_counted_alike(
    same_either_way: Callable[..., dict[str, Any]], where: str
) -> None:
    start = start_at(20, *STARTS[where])
    end = start + timedelta(hours=9, minutes=2, seconds=40)
    second = timedelta(seconds=1)
    ends = {
        "before start": start - second, "at start": start, "after start": start + second,
        "unit after start": floor5(start) + timedelta(minutes=5) - second, "next unit": floor5(start) + timedelta(minutes=5),
        "before end unit": floor5(end) - second, "end unit": floor5(end), "before end": end - second, "at end": end,
    }
    for i, (site, moment) in enumerate(ends.items()):
        for j, modified in enumerate((moment + timedelta(minutes=3), moment + timedelta(hours=2))):
            job = a_job(pandaid=NEW_PANDAID + 10 * i + j, jobstatus="finished", endtime=moment, modificationtime=max(modified, start), computingsite=site)
            write_job("archived", job)
    refreshed(backfill=True)
    span = {"date_from": iso(start), "date_to": iso(end)}
    by_site = {"computingsite": "|".join(ends)}
    answer = same_either_way(SITES, by_site, span)
    inside = {"at start", "after start", "unit after start", "next unit", "before end unit", "end unit", "before end"}
    assert {row["computingsite"]: row["finished"] for row in answer["data"]} == dict.fromkeys(inside, 2)
    for size in ("5m", "15m", "1h", "1d"):
        series = same_either_way(SERIES, {"metric": "jobs_finished", "bin": size, "groupby": "computingsite", "top": "20", **by_site}, span)
        assert {s["name"] for s in series["data"]["series"]} == inside
        assert counted(series) == 2 * len(inside)


def test_a_job_modified_before_the_start_that_ended_after_it_is_not_counted_either_way(
    same_either_way: Callable[..., dict[str, Any]],
) -> None:
    """Its group in the hour the start cuts holds jobs modified before and after the start:
    the unit is read from JOBSARCHIVED4 (the direct path leaves the first job out)."""
    start = start_at(20, 40, 0)
    ended = start + timedelta(minutes=12)
    before = a_job(pandaid=NEW_PANDAID, jobstatus="failed", endtime=ended, modificationtime=start - timedelta(minutes=5), computingsite="ENDED_LATE")
    after = {**before, "pandaid": NEW_PANDAID + 1, "modificationtime": start + timedelta(minutes=13)}
    only_before = {**before, "pandaid": NEW_PANDAID + 2, "endtime": ended + timedelta(minutes=10), "computingsite": "ENDED_LATE_ALONE"}
    # The same in the first whole hour of ENDTIME (the hourly table's group of the queue).
    next_hour = start.replace(minute=0) + timedelta(hours=1, minutes=7)
    before_hour = {**before, "pandaid": NEW_PANDAID + 3, "endtime": next_hour, "computingsite": "ENDED_LATER"}
    after_hour = {**before_hour, "pandaid": NEW_PANDAID + 4, "modificationtime": start + timedelta(minutes=10)}
    for job in (before, after, only_before, before_hour, after_hour):
        write_job("archived", job)
    refreshed(backfill=True)
    span = {"date_from": iso(start), "date_to": iso(timezone.now())}
    late = {"computingsite": "ENDED_LATE|ENDED_LATE_ALONE|ENDED_LATER"}
    sites = same_either_way(SITES, late, span)
    assert [(row["computingsite"], row["failed"]) for row in sites["data"]] == [("ENDED_LATE", 1), ("ENDED_LATER", 1)]
    for size in ("5m", "1h", "1d"):
        assert counted(same_either_way(SERIES, {"metric": "jobs_failed", "bin": size, **late}, span)) == 2
    same_either_way(SERIES, {"metric": "jobs_failed", "bin": "1h"}, span)


def test_jobs_archived_after_the_run_are_counted_as_of_the_run_with_a_fresh_snapshot_and_live_otherwise(
    fetch: Callable[..., dict[str, Any]], same_either_way: Callable[..., dict[str, Any]], pandjango_config: Callable[[str, Any], None]
) -> None:
    refreshed(backfill=True)
    span = {"date_from": iso(start_at(10, 10, 30)), "date_to": iso(timezone.now() + timedelta(minutes=5))}
    by_site = {"metric": "jobs_finished", "bin": "15m", "groupby": "computingsite", "top": "50"}
    before = same_either_way(SERIES, by_site, span)
    now = timezone.now()
    for i, moment in enumerate((now - timedelta(hours=3), now - timedelta(seconds=30))):
        write_job("archived", a_job(pandaid=NEW_PANDAID + i, jobstatus="finished", endtime=moment, modificationtime=now, computingsite="SINCE_THE_RUN"))
    as_of_run = fetch(SERIES, **span, **by_site)
    assert as_of_run["meta"]["source"] == "rollup" and as_of_run["data"] == before["data"]
    direct = fetch(SERIES, rollups=False, **span, **by_site)
    assert counted(direct) == counted(before) + 2
    # The snapshot too old to be used: JOBSARCHIVED4 after the trusted hours read live.
    pandjango_config("rollups.active_max_lag_seconds", 120)
    for name in (JOBS, ACTIVE):
        mark = RollupState.objects.get(name=name).mark
        assert mark is not None
        RollupState.objects.filter(name=name).update(mark=mark - timedelta(seconds=150))
    assert same_either_way(SERIES, by_site, span)["data"] == direct["data"]
    assert same_either_way(SITES, {"computingsite": "SINCE_THE_RUN"}, span)["data"][0]["finished"] == 2
    # The next run counts them from the rollup, with the snapshot fresh again.
    pandjango_config("rollups.active_max_lag_seconds", 180)
    refreshed()
    assert same_either_way(SERIES, by_site, span)["data"] == direct["data"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (SERIES, {"metric": "jobs_created"}),  # by CREATIONTIME, in every job table
        (SERIES, {"metric": "pilots_submitted"}),  # Harvester workers
        (SERIES, {"metric": "jobs_finished", "groupby": "produsername"}),  # not a column of EndCount
        (SERIES, {"metric": "jobs_finished", "computingsite": "ANALY_*"}),  # a wildcard
        (SERIES, {"metric": "jobs_failed", "piloterrorcode": "1099"}),  # not a column of EndCount
        (SERIES, {"metric": "jobs_finished", "days": "4"}),  # reaches the archive
        (SERIES, {"metric": "jobs_finished", "hours": "1"}),  # no whole trusted hour from its start
        (SITES, {"jeditaskid": "1"}),
    ],
)
def test_what_the_ended_jobs_rollup_cannot_answer_is_read_directly(
    fetch: Callable[..., dict[str, Any]], url: str, params: dict[str, str]
) -> None:
    refreshed(backfill=True)
    assert fetch(url, **params)["meta"]["source"] == "direct"
    assert fetch(url, **({"metric": "jobs_finished"} if url == SERIES else {}))["meta"]["source"] == "rollup"
