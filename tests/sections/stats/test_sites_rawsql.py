"""The per-queue stats (/api/stats/sites/) sum with the registry's stats.sites when
the filters are plain values, and with the ORM otherwise; both give the same answer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pandjango.rawsql import registry
from tests.sections.rawsql_paths import answer, both_paths, fixed_window

URL = "/api/stats/sites/"
NAME = "stats.sites"


def last(hours: float) -> dict[str, datetime]:
    end = timezone.now()
    return {"date_from": end - timedelta(hours=hours), "date_to": end}


@pytest.mark.parametrize("params", [{}, {"cloud": "DE|FR", "jobtype": "production"}, {"jobstatus": "failed|running"}])
def test_plain_filters_are_summed_in_one_registry_statement(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, URL, params)
    assert got.registry_queries == [NAME] and len(got.statements) == 1
    assert got.body["data"]


@pytest.mark.parametrize(
    "params",
    [
        {"computingsite": "ANALY_*"},  # a wildcard
        {"transformation": "Sim_tf.py"},  # not a filter of the registry's job queries
        {"jobstatus": "running"},  # no ended job passes: the ORM says so
    ],
)
def test_a_wildcard_or_another_filter_is_summed_by_the_orm(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, URL, params)
    assert got.registry_queries == [] and len(got.statements) == 1  # JOBSARCHIVED4: the archive is not reached in 12 h


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (96, {"limit": "10000"}),  # reaches the archive
        (24, {"sort": "-efficiency", "cloud": "!CA|US"}),
        (48, {"sort": "walltime_mean", "jobtype": "production", "jobstatus": "failed|finished"}),
        (24, {"sort": "-cputime_total", "prodsourcelabel": "managed|user", "fields": "computingsite,cputime_mean,walltime_mean"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, URL, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == [NAME] and orm.registry_queries == []
    assert raw.body["data"]
    assert raw.without_time() == orm.without_time()


def test_mariadb_reads_the_final_tables_through_their_time_indexes() -> None:
    archived = registry.render(NAME, "mysql", **last(12))
    assert "`jobsarchived4` j USE INDEX (JOBSARCH4_MTIMEPRODSLABEL_IDX)" in archived
    assert "jobsarchived` j" not in archived  # the archive is not reached in 12 hours
    both = registry.render(NAME, "mysql", **last(96))
    assert "j USE INDEX (JOBSARCH4_MTIMEPRODSLABEL_IDX)" in both and "`jobsarchived` j USE INDEX (JOBS_STATECHANGETIME_IDX)" in both


def test_oracle_reads_them_through_the_same_indexes() -> None:
    text = registry.render(NAME, "oracle", **last(96))
    assert "/*+ INDEX(j JOBSARCH4_MTIMEPRODSLABEL_IDX) */" in text and "/*+ INDEX(j JOBS_STATECHANGETIME_IDX) */" in text
    tasks = registry.render(NAME, "mysql", **last(96), jeditaskid=[42])
    assert "USE INDEX (JOBSARC4_JEDITASKID3ATTR_IDX)" in tasks and "USE INDEX (JOBS_JEDITASKID_PANDAID_IDX)" in tasks


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_other_vendors_get_no_hint(vendor: str) -> None:
    text = registry.render(NAME, vendor, **last(96))
    assert "INDEX" not in text and "/*+" not in text
