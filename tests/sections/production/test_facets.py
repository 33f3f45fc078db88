"""The selection summary above a jobs list (/api/production/jobs/facets/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client

from sections.production import queries
from tests.api_helpers import forget_cached_answers

from .conftest import FixedWindow

FACETS = "/api/production/jobs/facets/"
SUMMARY = "/api/production/jobs/summary/"


def as_counts(values: list[dict[str, Any]]) -> dict[Any, int]:
    return {v["value"]: v["count"] for v in values}


def test_it_counts_the_values_of_the_default_fields(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    data = get_json(FACETS, **w.params)["data"]
    assert list(data) == list(queries.DEFAULT_FACETS)
    for name, values in data.items():
        assert as_counts(values) == {key[0]: n for key, n in w.count_by([name]).items()}, name


def test_each_list_is_sorted_by_count(get_json: Callable[..., Any]) -> None:
    for name, values in get_json(FACETS, hours=24)["data"].items():
        counts = [v["count"] for v in values]
        assert counts == sorted(counts, reverse=True), name
        assert all(list(v) == ["value", "count"] for v in values)


def test_fields_chooses_the_fields(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24)
    data = get_json(FACETS, fields="cloud,jeditaskid,workinggroup", **w.params)["data"]
    assert list(data) == ["cloud", "jeditaskid", "workinggroup"]
    assert all(isinstance(v["value"], int) for v in data["jeditaskid"])
    assert as_counts(data["workinggroup"]) == {key[0]: n for key, n in w.count_by(["workinggroup"]).items()}


def test_a_null_value_is_counted_too(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(24)
    values = get_json(FACETS, fields="workinggroup", **w.params)["data"]["workinggroup"]
    assert None in as_counts(values), "analysis jobs have no working group"


def test_it_applies_the_job_filters(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    data = get_json(FACETS, fields="jobstatus,computingsite", jobstatus="failed|finished", cloud="!US", **w.params)["data"]
    q = Q(jobstatus__in=["failed", "finished"]) & ~Q(cloud="US")
    assert as_counts(data["jobstatus"]) == {key[0]: n for key, n in w.count_by(["jobstatus"], q).items()}
    assert as_counts(data["computingsite"]) == {key[0]: n for key, n in w.count_by(["computingsite"], q).items()}


def test_its_counts_agree_with_the_summary(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    w = window(12)
    facets = get_json(FACETS, fields="jobstatus", produsername="atlas-*", **w.params)["data"]["jobstatus"]
    summary = get_json(SUMMARY, produsername="atlas-*", **w.params)["data"]
    assert as_counts(facets) == {row["jobstatus"]: row["count"] for row in summary}


@pytest.mark.parametrize("fields", ["produserid", "jobstatus,nonsense", "", "pandaid"])
def test_it_rejects_a_field_it_does_not_count(get_json: Callable[..., Any], fields: str) -> None:
    assert "fields" in get_json(FACETS, status=400, fields=fields)["error"]["fields"]


def test_it_rejects_an_unknown_parameter(get_json: Callable[..., Any]) -> None:
    assert get_json(FACETS, status=400, groupby="cloud")["error"]["fields"] == {"groupby": "unknown parameter"}


def test_it_makes_one_group_by_per_field_and_table(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(4 * 5, connection=connections["panda"]):
        assert anon_client.get(FACETS).status_code == 200
    with django_assert_num_queries(4 * 2, connection=connections["panda"]):
        assert anon_client.get(FACETS, {"fields": "cloud,jobstatus"}).status_code == 200


def test_it_never_shows_a_dn(staff_client: Client) -> None:
    response = staff_client.get(FACETS, {"fields": ",".join(queries.FACET_FIELDS)})
    assert response.status_code == 200 and b"/DC=" not in response.content


def test_facets_cut_by_the_row_limit_say_so_and_keep_the_largest_values(
    get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]
) -> None:
    whole = get_json(FACETS, fields="computingsite,jobstatus", hours=96)
    assert whole["meta"]["truncated"] is False
    pandjango_config("limits.max_summary_rows", 3)
    forget_cached_answers()
    cut = get_json(FACETS, fields="computingsite,jobstatus", hours=96)
    assert cut["meta"]["truncated"] is True and cut["meta"]["limit"] == 3
    for name in ("computingsite", "jobstatus"):
        assert len(cut["data"][name]) == 3
        assert [v["count"] for v in cut["data"][name]] == [v["count"] for v in whole["data"][name][:3]]
