"""The response cache key's guards (pandjango/caching/store.py), each held by a test that fails
when the guard is changed (mutation testing, docs/testing.md): a key names its class of viewer
even when it is hashed, is hashed exactly past its budget, and keeps `fields` last."""

from __future__ import annotations

import re

import pytest

from pandjango.caching.store import MEMCACHED_KEY_BUDGET, OTHER_KEY_BUDGET, response_cache_key

pytestmark = pytest.mark.no_db

ENDPOINT = "production.jobs"


def key_of_length(length: int, visibility: str = "anonymous") -> str:
    """A key of exactly `length` characters before hashing: one parameter filled up."""
    empty = len(response_cache_key(ENDPOINT, {"computingsite": ""}, visibility, budget=OTHER_KEY_BUDGET))
    return response_cache_key(ENDPOINT, {"computingsite": "A" * (length - empty)}, visibility)


def test_a_key_as_long_as_its_budget_stays_readable_and_one_longer_is_hashed() -> None:
    at_budget = key_of_length(MEMCACHED_KEY_BUDGET)
    assert len(at_budget) == MEMCACHED_KEY_BUDGET
    assert at_budget.startswith(f"{ENDPOINT}:anonymous:?computingsite=AAA")
    over = key_of_length(MEMCACHED_KEY_BUDGET + 1)
    assert re.fullmatch(rf"{ENDPOINT}:anonymous:#[0-9a-f]{{40}}", over), over


@pytest.mark.parametrize("length", [10, MEMCACHED_KEY_BUDGET + 1, 5000])
def test_every_class_of_viewer_has_its_own_key_hashed_or_not(length: int) -> None:
    keys = {visibility: key_of_length(max(length, 60), visibility) for visibility in ("anonymous", "beta", "staff")}
    assert len(set(keys.values())) == 3
    for visibility, key in keys.items():
        assert key.startswith(f"{ENDPOINT}:{visibility}:")


def test_fields_come_last_and_the_other_parameters_in_order_of_name() -> None:
    key = response_cache_key(ENDPOINT, {"fields": "pandaid", "zeta": "1", "alpha": "2", "FIELDS": "x"}, "staff")
    assert key == f"{ENDPOINT}:staff:?FIELDS=x&alpha=2&zeta=1&fields=pandaid"


def test_path_parameters_are_quoted_and_in_order_of_name() -> None:
    key = response_cache_key("production.task", {}, "beta", {"taskid": "a b", "attempt": 2})
    assert key == "production.task:beta:attempt=2&taskid=a%20b?"


@pytest.mark.parametrize(
    ("value", "in_key"),
    [
        ("failed|finished", "failed|finished"), ("ANALY_*,-CERN", "ANALY_*,-CERN"), ("a.b:c+d@e~f!", "a.b:c+d@e~f!"),
        ("a b", "a%20b"), ("x&y=z", "x%26y%3Dz"), ("é", "%C3%A9"), ("1h\n", "1h%0A"), ("", ""),
    ],
)
def test_a_value_is_quoted_only_where_it_must_be(value: str, in_key: str) -> None:
    assert response_cache_key(ENDPOINT, {"jobstatus": value}, "anonymous") == f"{ENDPOINT}:anonymous:?jobstatus={in_key}"
