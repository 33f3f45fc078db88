"""The time series (/api/stats/timeseries/) count with the registry's stats.jobs_timeseries
and stats.pilots_timeseries when the filters are plain values, and with the ORM otherwise;
both give the same answer."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sections.rawsql_paths import answer, both_paths, fixed_window

URL = "/api/stats/timeseries/"
JOBS = "stats.jobs_timeseries"
PILOTS = "stats.pilots_timeseries"


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"metric": "jobs_finished", "cloud": "DE|FR"}, JOBS),
        ({"metric": "jobs_created", "groupby": "cloud", "jobtype": "!analysis"}, JOBS),
        ({"metric": "pilots_submitted", "groupby": "computingsite", "status": "!failed"}, PILOTS),
    ],
)
def test_plain_filters_are_counted_in_one_registry_statement(anon_client: Client, params: dict[str, str], name: str) -> None:
    got = answer(anon_client, URL, params)
    assert got.registry_queries == [name] and len(got.statements) == 1


@pytest.mark.parametrize(
    ("params", "statements"),
    [
        ({"metric": "jobs_finished", "computingsite": "ANALY_*"}, 1),  # JOBSARCHIVED4
        ({"metric": "jobs_created", "transformation": "Sim_tf.py"}, 4),  # the live job tables
        ({"metric": "jobs_failed", "jobstatus": "finished"}, 1),  # no failed job passes: the ORM says so
        ({"metric": "pilots_submitted", "computingsite": "ANALY_*"}, 1),  # HARVESTER_WORKERS
    ],
)
def test_a_wildcard_or_another_filter_is_counted_by_the_orm(anon_client: Client, params: dict[str, str], statements: int) -> None:
    got = answer(anon_client, URL, params)
    assert got.registry_queries == [] and len(got.statements) == statements


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (24, {"metric": "jobs_finished"}),
        (24, {"metric": "jobs_failed", "groupby": "computingsite", "top": "5", "jobstatus": "failed|finished"}),
        (96, {"metric": "jobs_finished", "bin": "1d", "groupby": "jeditaskid", "jobtype": "production"}),  # reaches the archive
        (12, {"metric": "jobs_created", "bin": "15m", "groupby": "cloud", "cloud": "!CA"}),
        (6, {"metric": "jobs_created", "bin": "5m", "prodsourcelabel": "managed|user"}),
        (24, {"metric": "pilots_submitted"}),
        (24, {"metric": "pilots_submitted", "bin": "15m", "groupby": "status", "harvesterid": "!CERN_central_A|BNL_harvester"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, URL, {**fixed_window(hours), **params}, monkeypatch)
    assert len(raw.registry_queries) == 1 and orm.registry_queries == []
    assert raw.without_time() == orm.without_time()
