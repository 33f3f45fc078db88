"""rawsql.in_list_params, job_params and narrowed: a request's filters as the parameters of
the registry's queries, or None where only the ORM can answer."""

from __future__ import annotations

from typing import Any

import pytest

from pandjango.rawsql import definition, fromrequest, jobsql, registry

pytestmark = pytest.mark.no_db


@pytest.mark.parametrize(
    ("filters", "params"),
    [
        ({}, {}),
        ({"jobtype": "", "cloud": ""}, {}),  # given empty: no filter
        ({"jobstatus": "failed"}, {"jobstatus": ["failed"]}),
        ({"jobstatus": "failed|finished", "cloud": "!CA|DE"}, {"jobstatus": ["failed", "finished"], "cloud_not": ["CA", "DE"]}),
        ({"jeditaskid": "12|13"}, {"jeditaskid": [12, 13]}),
        ({"jobtype": "test"}, {"prodsourcelabel": ["ptest", "prod_test", "rc_test"]}),
        ({"jobtype": "!analysis|install"}, {"prodsourcelabel_not": ["user", "panda", "install"]}),
        # both hold: the labels of the type that are also asked for, less those refused
        ({"jobtype": "analysis|production", "prodsourcelabel": "user|managed|ptest"}, {"prodsourcelabel": ["user", "managed"]}),
        ({"jobtype": "analysis", "prodsourcelabel": "!panda"}, {"prodsourcelabel": ["user"]}),
        ({"jobtype": "!analysis", "prodsourcelabel": "!install"}, {"prodsourcelabel_not": ["user", "panda", "install"]}),
    ],
)
def test_plain_values_become_in_lists(filters: dict[str, str], params: dict[str, Any]) -> None:
    assert fromrequest.in_list_params(filters, jobsql.JOB_FILTERS) == params


@pytest.mark.parametrize(
    "filters",
    [
        {"computingsite": "ANALY_*"},
        {"computingsite": "CERN-PROD|ANALY_*"},
        {"cloud": "!U*"},
        {"transformation": "Sim_tf.py"},  # not a filter of the job queries
        {"jobtype": "analysis", "prodsourcelabel": "managed"},  # no label passes both
        {"jobstatus": "|".join(f"s{i}" for i in range(definition.MAX_LIST_ITEMS + 1))},  # more than Oracle's IN takes
    ],
)
def test_what_has_no_in_list_form_is_left_to_the_orm(filters: dict[str, str]) -> None:
    assert fromrequest.in_list_params(filters, jobsql.JOB_FILTERS) is None


def test_nothing_goes_to_the_registry_when_it_is_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fromrequest, "USE_REGISTRY", False)
    assert fromrequest.in_list_params({}, jobsql.JOB_FILTERS) is None


def test_narrowing_keeps_the_values_both_let_through() -> None:
    assert fromrequest.narrowed({"cloud": ["CA"]}, "jobstatus", ["failed"]) == {"cloud": ["CA"], "jobstatus": ["failed"]}
    assert fromrequest.narrowed({"jobstatus": ["failed", "finished"]}, "jobstatus", ["failed"]) == {"jobstatus": ["failed"]}
    assert fromrequest.narrowed({"jobstatus_not": ["finished"]}, "jobstatus", ["failed"]) == {"jobstatus": ["failed"]}
    assert fromrequest.narrowed({"jobstatus": ["finished"]}, "jobstatus", ["failed"]) is None
    assert fromrequest.narrowed({"jobstatus_not": ["failed"]}, "jobstatus", ["failed"]) is None


def test_every_text_the_registry_sends_names_its_query() -> None:
    for query in registry.all_queries():
        for vendor in definition.VENDORS:
            text = registry.render(query.name, vendor)
            assert text.startswith(f"/* pandjango:{query.name} */\n"), (query.name, vendor)
