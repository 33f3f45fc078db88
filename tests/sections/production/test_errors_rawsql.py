"""The errors summary (/api/production/errors/) counts with the registry's
production.failed_jobs_by_code and production.failed_jobs_by when the filters are plain
values, and with the ORM otherwise; both give the same answer."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sections.rawsql_paths import answer, both_paths, fixed_window

ERRORS = "/api/production/errors/"
# by code, then by site, user and task
NAMES = ["production.failed_jobs_by_code", *["production.failed_jobs_by"] * 3]


def test_plain_filters_are_counted_by_the_registry_one_statement_per_list(anon_client: Client) -> None:
    got = answer(anon_client, ERRORS, {"days": "4", "jobtype": "production|analysis", "cloud": "!CA"})
    assert got.registry_queries == NAMES and len(got.statements) == 4
    assert got.body["data"]["by_code"]


@pytest.mark.parametrize("params", [{"computingsite": "ANALY_*"}, {"produsername": "*"}, {"piloterrorcode": "1099"}, {"jobstatus": "finished"}])
def test_a_wildcard_another_filter_or_no_failed_state_is_counted_by_the_orm(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, ERRORS, params)
    assert got.registry_queries == [] and len(got.statements) == 4  # four lists, JOBSARCHIVED4 in 12 h


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (96, {}),  # reaches the archive
        (48, {"jobstatus": "failed|finished", "cloud": "!CA|DE"}),
        (48, {"jobstatus": "!finished", "jobtype": "production"}),
        (96, {"prodsourcelabel": "managed|user", "table": "archive"}),
        (24, {"table": "active"}),  # no table holds failed jobs: empty lists
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, ERRORS, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == ([] if params.get("table") == "active" else NAMES) and orm.registry_queries == []
    assert raw.without_time() == orm.without_time()
