"""The jobs summary (/api/production/jobs/summary/) counts with the registry's
production.jobs_summary when the filters are plain values, and with the ORM otherwise; both
give the same answer."""

from __future__ import annotations

import pytest
from django.test import Client

from pandjango.pandadb.models import JobsArchived4
from tests.sections.rawsql_paths import answer, both_paths, fixed_window

SUMMARY = "/api/production/jobs/summary/"
NAME = "production.jobs_summary"


def test_plain_filters_are_counted_in_one_registry_statement(anon_client: Client) -> None:
    got = answer(anon_client, SUMMARY, {"groupby": "cloud,jobstatus", "jobstatus": "finished|failed", "cloud": "!CA|DE", "jobtype": "production"})
    assert got.registry_queries == [NAME] and len(got.statements) == 1
    assert got.body["data"]


@pytest.mark.parametrize("params", [{"computingsite": "ANALY_*"}, {"cloud": "!U*"}, {"transformation": "Sim_tf.py"}, {"jobtype": "analysis", "pandaid": "1"}])
def test_a_wildcard_or_another_filter_is_counted_by_the_orm_per_table(anon_client: Client, params: dict[str, str]) -> None:
    got = answer(anon_client, SUMMARY, params)
    assert got.registry_queries == [] and len(got.statements) == 4  # defined, waiting, active, archived


@pytest.mark.parametrize(
    ("hours", "params"),
    [
        (12, {}),
        (96, {"groupby": "computingsite,jobstatus"}),  # reaches the archive
        (12, {"groupby": "cloud,prodsourcelabel", "jobstatus": "finished|failed", "cloud": "!CA"}),
        (12, {"groupby": "prodsourcelabel", "jobtype": "analysis"}),
        (12, {"groupby": "prodsourcelabel", "jobtype": "!analysis|test", "prodsourcelabel": "!install"}),
        (12, {"groupby": "prodsourcelabel", "jobtype": "production|analysis", "prodsourcelabel": "user|managed|ptest"}),
        (24, {"groupby": "produsername,processingtype", "prodsourcelabel": "managed", "table": "active|archived"}),
        (48, {"groupby": "jeditaskid,jobstatus", "table": "archived"}),
    ],
)
def test_the_registry_and_the_orm_give_the_same_answer(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, hours: int, params: dict[str, str]
) -> None:
    raw, orm = both_paths(anon_client, SUMMARY, {**fixed_window(hours), **params}, monkeypatch)
    assert raw.registry_queries == [NAME] and orm.registry_queries == []
    assert raw.without_time() == orm.without_time()


def test_a_task_and_a_site_filter_give_the_same_answer_on_both_paths(anon_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    job = JobsArchived4.objects.filter(jobstatus="failed").values("jeditaskid", "computingsite").first()
    assert job is not None
    params = {**fixed_window(96), "groupby": "jobstatus,cloud", "jeditaskid": str(job["jeditaskid"]), "computingsite": f"!{job['computingsite']}"}
    raw, orm = both_paths(anon_client, SUMMARY, params, monkeypatch)
    assert raw.registry_queries == [NAME] and raw.without_time() == orm.without_time()


def test_a_site_counts_alike_by_name_and_by_a_pattern_only_it_matches(anon_client: Client) -> None:
    sites = set(JobsArchived4.objects.exclude(computingsite=None).values_list("computingsite", flat=True))
    site = next(s for s in sorted(sites) if not any(o != s and o.startswith(s) for o in sites))
    window = fixed_window(24)
    by_name = answer(anon_client, SUMMARY, {**window, "groupby": "computingsite,jobstatus", "computingsite": site})
    by_pattern = answer(anon_client, SUMMARY, {**window, "groupby": "computingsite,jobstatus", "computingsite": f"{site}*"})
    assert by_name.registry_queries == [NAME] and by_pattern.registry_queries == []
    assert by_name.body["data"] and by_name.without_time() == by_pattern.without_time()


def test_filters_given_empty_filter_nothing_on_either_path(anon_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    window = fixed_window(12)
    raw, orm = both_paths(anon_client, SUMMARY, {**window, "jobtype": "", "cloud": ""}, monkeypatch)
    assert raw.registry_queries == [NAME] and raw.without_time() == orm.without_time()
    assert raw.without_time() == answer(anon_client, SUMMARY, window).without_time()
