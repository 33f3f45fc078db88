"""The queues by region (/api/autopilot/queues/) count their workers in the window with the
registry's autopilot.queue_pilot_counts, and with the ORM when the registry is off; both
give the same answer."""

from __future__ import annotations

import orjson
import pytest
from django.test import Client

from tests.sections.rawsql_paths import answer, both_paths, fixed_window

QUEUES = "/api/autopilot/queues/"
NAME = "autopilot.queue_pilot_counts"


@pytest.mark.parametrize("params", [{"cloud": "!CA", "days": "2"}, {"nickname": "ANALY_*"}, {"cloud": "U*|DE"}])
def test_the_workers_are_counted_in_one_registry_statement_whatever_the_queue_filters(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, QUEUES, params)
    # SCHEDCONFIG_JSON (unless this process keeps it), HARVESTER_WORKER_STATS, then the workers
    assert got.registry_queries == [NAME] and got.statements[-1].startswith(f"/* pandjango:{NAME} */")


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (48, {"cloud": "DE|FR|US"}),
        (24, {"cloud": "!CA", "region": "!UK"}),
        (96, {"nickname": "BNL-ATLAS|TRIUMF_PROD|NOSUCHQUEUE"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, QUEUES, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == [NAME] and orm.registry_queries == []
    # by_status goes biggest first; equal counts may come in either order
    assert orjson.loads(raw.without_time()) == orjson.loads(orm.without_time())
