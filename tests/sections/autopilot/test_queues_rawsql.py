"""The queues by region (/api/autopilot/queues/) count their pilots with the registry's
autopilot.queue_pilot_counts when the queue filters are plain values, and with the ORM
otherwise; both give the same answer."""

from __future__ import annotations

import orjson
import pytest
from django.test import Client

from tests.sections.rawsql_paths import answer, both_paths, fixed_window

QUEUES = "/api/autopilot/queues/"
NAME = "autopilot.queue_pilot_counts"


def test_plain_filters_count_the_pilots_in_one_registry_statement(anon_client: Client) -> None:
    # SCHEDCONFIG, SCHEDINSTANCE, then the pilots
    got = answer(anon_client, QUEUES, {"cloud": "!CA", "days": "2"})
    assert got.registry_queries == [NAME] and len(got.statements) == 3


@pytest.mark.parametrize("params", [{"nickname": "ANALY_*"}, {"cloud": "U*|DE"}])
def test_a_wildcard_counts_the_pilots_with_the_orm(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, QUEUES, params)
    assert got.registry_queries == [] and len(got.statements) == 3


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (48, {"cloud": "DE|FR|US"}),
        (24, {"cloud": "!CA", "region": "!UK"}),
        (96, {"nickname": "BNL-ATLAS|TRIUMF|NOSUCHQUEUE"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, QUEUES, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == [NAME] and orm.registry_queries == []
    # by_state and by_status go biggest first; equal counts may come in either order
    assert orjson.loads(raw.without_time()) == orjson.loads(orm.without_time())
