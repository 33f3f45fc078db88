"""The PanDA filter syntax parsed once (api.filters.Filter): what a value parses into, and that
the ORM's Q, the Python test and the raw queries' IN lists made from it select the same rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.test import Client

from pandjango.api.filters import Filter, FilterField, PandaFilter
from pandjango.api.jobfilters import JobFilterSet
from pandjango.pandadb.models import JobsActive4, JobsArchived4, JobsDefined4, JobsWaiting4
from pandjango.rawsql import fromrequest, jobsql
from tests.sections.rawsql_paths import answer, both_paths, fixed_window

SUMMARY = "/api/production/jobs/summary/"
JOB_TABLES = (JobsDefined4, JobsWaiting4, JobsActive4, JobsArchived4)


# ---------------------------------------------------------------------------- parsing


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("raw", "numeric", "parsed"),
    [
        ("", False, Filter("cloud")),
        ("US", False, Filter("cloud", values=("US",))),
        ("US|ANALY_*|DE", False, Filter("cloud", values=("US", "DE"), patterns=("ANALY_*",))),
        ("!*_TEST", False, Filter("cloud", negate=True, patterns=("*_TEST",))),
        ("12|-3", True, Filter("cloud", values=(12, -3))),
        ("!7", True, Filter("cloud", negate=True, values=(7,))),
    ],
)
def test_a_value_parses_into_its_values_and_patterns(raw: str, numeric: bool, parsed: Filter) -> None:
    assert Filter.parse("cloud", raw, numeric) == parsed
    assert parsed.empty == (raw == "")


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("raw", "numeric", "message"),
    [
        ("a||b", False, "empty value in a|b or !a"),
        ("!", False, "empty value in a|b or !a"),
        ("|".join("x" * 101), False, "101 values in a|b, more than 100"),
        ("a*b*c*d*e*f", False, "a value holds more than 4 * wildcards"),
        ("1*", True, "'1*' is not an integer"),
        (str(2**63), True, f"'{2**63}' is out of range"),
    ],
)
def test_a_wrong_value_says_what_is_wrong(raw: str, numeric: bool, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Filter.parse("x", raw, numeric)
    assert caught.value.messages == [message]


@pytest.mark.no_db
def test_jobtype_parses_into_the_prodsourcelabels_it_stands_for() -> None:
    parsed = JobFilterSet.parse({"jobtype": "!analysis|test", "jeditaskid": "5", "cloud": ""})
    assert parsed == {
        "jobtype": Filter("prodsourcelabel", negate=True, values=("user", "panda", "ptest", "prod_test", "rc_test")),
        "jeditaskid": Filter("jeditaskid", values=(5,)),
        "cloud": Filter("cloud"),
    }


@pytest.mark.no_db
def test_a_filter_field_gives_its_filter_or_none_when_not_given() -> None:
    field = FilterField("harvesterid")
    assert field.clean(" CERN_central_A ") == Filter("harvesterid", values=("CERN_central_A",))
    assert field.clean(None) is None and field.clean("  ") is None


@pytest.mark.no_db
def test_a_filter_reads_back_as_its_syntax() -> None:
    assert str(Filter.parse("cloud", "!US|*_MCORE|DE")) == "!US|DE|*_MCORE"
    assert str(Filter.parse("jeditaskid", "5|6", numeric=True)) == "5|6"


@pytest.mark.no_db
def test_the_job_queries_take_integers_only_for_numeric_job_filters() -> None:
    for column, kind in jobsql.JOB_FILTERS.items():
        declared = JobFilterSet.base_filters[column]
        assert isinstance(declared, PandaFilter) and declared.numeric == (kind == "int list"), column


# ---------------------------------------------------------------------------- one meaning


def _sites() -> set[str | None]:
    return {site for model in JOB_TABLES for site in model.objects.values_list("computingsite", flat=True).distinct()}


def _selected(q: Q) -> set[str | None]:
    return {site for model in JOB_TABLES for site in model.objects.filter(q).values_list("computingsite", flat=True).distinct()}


@pytest.mark.parametrize("raw", ["", "ANALY_*", "!ANALY_*|*_MCORE", "*", "!*", "CERN-PROD|*GLASGOW*"])
def test_the_orm_and_python_select_the_same_sites(raw: str) -> None:
    flt = Filter.parse("computingsite", raw)
    sites = _sites()
    assert {site for site in sites if flt.matches(site)} == _selected(flt.q())


def _plain(pattern: str) -> str:
    """The sites a pattern matches, as plain values: the same filter for the raw path."""
    negate = pattern.startswith("!")
    positive = Filter.parse("computingsite", pattern.removeprefix("!"))
    sites = sorted(s for s in _sites() if s is not None and positive.matches(s))
    assert 0 < len(sites) <= 100
    return ("!" if negate else "") + "|".join(sites)


@pytest.mark.parametrize("pattern", ["ANALY_*", "!ANALY_*", "!*_MCORE|*SCOTGRID*"])
def test_a_wildcard_counts_as_its_sites_given_by_name(anon_client: Client, pattern: str) -> None:
    window = {**fixed_window(12), "groupby": "computingsite,jobstatus"}
    by_pattern = answer(anon_client, SUMMARY, {**window, "computingsite": pattern})
    by_name = answer(anon_client, SUMMARY, {**window, "computingsite": _plain(pattern)})
    assert by_pattern.registry_queries == [] and by_name.registry_queries == ["production.jobs_summary"]
    assert by_pattern.body["data"] and by_pattern.without_time() == by_name.without_time()


@pytest.mark.parametrize(
    "params",
    [
        {"jobstatus": " failed ", "cloud": " "},  # the form field's stripping holds on both paths
        {"jobstatus": "!failed|finished", "jobtype": ""},
        {"jobtype": "!analysis", "prodsourcelabel": "!ptest", "computingsite": ""},
    ],
)
def test_negation_and_empty_values_mean_the_same_on_both_paths(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any]
) -> None:
    raw, orm = both_paths(anon_client, SUMMARY, {**fixed_window(12), "groupby": "jobstatus,prodsourcelabel", **params}, monkeypatch)
    assert raw.registry_queries == ["production.jobs_summary"] and orm.registry_queries == []
    assert raw.body["data"] and raw.without_time() == orm.without_time()


def test_the_in_lists_are_made_from_the_parsed_filters() -> None:
    parsed = JobFilterSet.parse({"jobtype": "analysis", "prodsourcelabel": "!panda", "cloud": "", "jeditaskid": "3|4"})
    assert fromrequest.in_list_params(parsed, jobsql.JOB_FILTERS) == {"prodsourcelabel": ["user"], "jeditaskid": [3, 4]}
    assert fromrequest.in_list_params(JobFilterSet.parse({"cloud": "!U*"}), jobsql.JOB_FILTERS) is None


@pytest.mark.no_db
def test_a_filter_given_empty_passes_every_value() -> None:
    empty = Filter.parse("cloud", "")
    assert all(empty.matches(value) for value in ("US", "", None, 7))
    assert empty.q() == Q()


@pytest.mark.no_db
def test_a_value_may_hold_100_alternatives_and_4_wildcards_each() -> None:
    assert len(Filter.parse("cloud", "|".join(f"x{i}" for i in range(100))).values) == 100
    assert Filter.parse("cloud", "a*b*c*d*e").patterns == ("a*b*c*d*e",)


@pytest.mark.no_db
def test_a_numeric_filter_field_takes_integers_only() -> None:
    field = FilterField("pandaid", numeric=True)
    assert field.clean("5|-6") == Filter("pandaid", values=(5, -6))
    with pytest.raises(ValidationError):
        field.clean("five")
