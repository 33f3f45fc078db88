"""The jobs matrix (/api/stats/jobs/) counts with the registry's stats.jobs when the
filters are plain values, and with the ORM otherwise; both give the same answer."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sections.rawsql_paths import answer, both_paths, fixed_window

URL = "/api/stats/jobs/"
NAME = "stats.jobs"


def test_plain_filters_are_counted_in_one_registry_statement(anon_client: Client) -> None:
    got = answer(anon_client, URL, {"rows": "computingsite", "cols": "jobstatus", "jobtype": "production", "cloud": "DE|FR"})
    assert got.registry_queries == [NAME] and len(got.statements) == 1
    assert got.body["data"]["total"] > 0


@pytest.mark.parametrize("params", [{"computingsite": "ANALY_*"}, {"gshare": "Express"}])
def test_a_wildcard_or_another_filter_is_counted_by_the_orm_per_table(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, URL, params)
    assert got.registry_queries == [] and len(got.statements) == 4  # the archive is not reached in 12 h


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (96, {"rows": "computingsite", "cols": "prodsourcelabel", "jobstatus": "running|failed"}),  # reaches the archive
        (24, {"rows": "gshare", "cols": "resource_type", "cloud": "!CA|US"}),
        (24, {"rows": "jeditaskid", "cols": "jobstatus", "jobtype": "production", "limit": "5"}),
        (48, {"rows": "nucleus", "cols": "cloud", "prodsourcelabel": "!managed"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, URL, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == [NAME] and orm.registry_queries == []
    assert raw.without_time() == orm.without_time()
