"""One queue (/api/sites/<nickname>/): its document, and its jobs, errors and Harvester workers
in the window."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Q
from django.test import Client
from django.utils.dateparse import parse_datetime

from pandjango.pandadb import errorcodes
from pandjango.pandadb.models import HarvesterWorkers, JobColumns, JobsActive4, JobsArchived, JobsArchived4
from pandjango.pandadb.queues import QUEUE_KEYS
from sections.sites import queries
from tests.api_helpers import assert_matches_schema
from tests.queues_helpers import add_queue, documents

from .conftest import FixedWindow

NEW_PANDAIDS = itertools.count(9_000_000_000)
NEW_WORKERIDS = itertools.count(8_000_000_000)


def queue_url(nickname: str) -> str:
    return f"/api/sites/{nickname}/"


def busiest_queue(window: FixedWindow) -> str:
    counts: Counter[str] = Counter()
    for model in (JobsActive4, JobsArchived4):
        in_window = model._default_manager.filter(modificationtime__gte=window.start, modificationtime__lt=window.end)
        counts.update(in_window.values_list("computingsite", flat=True))
    return counts.most_common(1)[0][0]


def most_failing_queue(window: FixedWindow) -> str:
    failed = JobsArchived4.objects.filter(jobstatus="failed", modificationtime__gte=window.start, modificationtime__lt=window.end)
    return Counter(failed.values_list("computingsite", flat=True)).most_common(1)[0][0]


def failed_jobs_codes(nickname: str, window: FixedWindow) -> tuple[Counter[tuple[str, int]], dict[tuple[str, int], int]]:
    """From the ORM: (component, code) -> how many failed jobs of the queue had it, and the
    newest pandaid among them."""
    counts: Counter[tuple[str, int]] = Counter()
    newest: dict[tuple[str, int], int] = {}
    failed = JobsArchived4.objects.filter(
        computingsite=nickname, jobstatus="failed", modificationtime__gte=window.start, modificationtime__lt=window.end
    )
    components = list(errorcodes.COLUMNS)
    for pandaid, *codes in failed.values_list("pandaid", *(code for code, _diag in errorcodes.COLUMNS.values())):
        for component, code in zip(components, codes, strict=True):
            if code:
                counts[(component, code)] += 1
                newest[(component, code)] = max(newest.get((component, code), 0), pandaid)
    return counts, newest


def workers_by_status(nickname: str, window: FixedWindow) -> Counter[str]:
    in_window = HarvesterWorkers.objects.filter(computingsite=nickname, lastupdate__gte=window.start, lastupdate__lt=window.end)
    return Counter(in_window.values_list("status", flat=True))


def add_job(nickname: str, when: datetime, jobstatus: str = "failed", **columns: Any) -> JobColumns:
    model: type[JobColumns] = JobsArchived4 if jobstatus in ("finished", "failed", "cancelled", "closed") else JobsActive4
    job = model(pandaid=next(NEW_PANDAIDS), computingsite=nickname, jobstatus=jobstatus, modificationtime=when, **columns)
    job.save(force_insert=True)
    return job


def add_worker(nickname: str, when: datetime, status: str) -> None:
    HarvesterWorkers.objects.create(harvesterid="TEST_harvester", workerid=next(NEW_WORKERIDS), computingsite=nickname, lastupdate=when, status=status)


# ---------------------------------------------------------------------------- the document


def test_it_shows_the_queue_s_whole_document(get_json: Callable[..., Any]) -> None:
    data = get_json(queue_url("TRIUMF_PROD"))["data"]
    assert data["document"] == documents()["TRIUMF_PROD"]
    assert data["document"]["queues"] and data["document_error"] is None


def test_its_keys_are_those_of_the_queue_list(get_json: Callable[..., Any]) -> None:
    data = get_json(queue_url("TRIUMF_PROD"))["data"]
    row = get_json("/api/sites/", nickname="TRIUMF_PROD", fields=",".join(QUEUE_KEYS))["data"][0]
    assert {key: data[key] for key in QUEUE_KEYS} == row


def test_a_queue_s_answer_matches_its_declared_schema(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    nickname = busiest_queue(window(12))
    assert_matches_schema(get_json(queue_url(nickname)), "sites.queue")
    assert_matches_schema(get_json(queue_url(nickname), days=4), "sites.queue")


def test_a_document_with_missing_keys_gives_nulls_and_what_it_has(get_json: Callable[..., Any]) -> None:
    add_queue("SPARSE_TEST", '{"cloud": "UK", "status": "online", "corecount": "eight"}')
    data = get_json(queue_url("SPARSE_TEST"))["data"]
    assert data["document"] == {"cloud": "UK", "status": "online", "corecount": "eight", "nickname": "SPARSE_TEST"}
    assert (data["cloud"], data["corecount"], data["tier"], data["document_error"]) == ("UK", None, None, None)
    assert_matches_schema(get_json(queue_url("SPARSE_TEST")), "sites.queue")


def test_a_broken_document_answers_with_its_jobs_and_what_was_wrong(get_json: Callable[..., Any], vendor: str, seed_now: datetime) -> None:
    # PostgreSQL's json column refuses broken JSON: there, a document that is no JSON object.
    add_queue("BROKEN_TEST", "[1, 2]" if vendor == "postgresql" else '{"cloud": ')
    add_job("BROKEN_TEST", seed_now - timedelta(minutes=10), jobstatus="running")
    body = get_json(queue_url("BROKEN_TEST"))
    data = body["data"]
    assert data["document_error"].startswith("not a JSON object" if vendor == "postgresql" else "broken JSON")
    assert data["document"] == {"nickname": "BROKEN_TEST"} and data["cloud"] is None
    assert data["jobs"] == {"running": 1}
    assert_matches_schema(body, "sites.queue")


def test_it_finds_a_queue_whose_nickname_holds_dashes_and_dots(get_json: Callable[..., Any], seed_now: datetime) -> None:
    nickname = "UKI-LT2.QMUL_TEST-1"
    add_queue(nickname, '{"cloud": "UK", "status": "test"}')
    add_job(nickname, seed_now - timedelta(minutes=10), jobstatus="running")
    data = get_json(queue_url(nickname))["data"]
    assert data["nickname"] == nickname and data["jobs"] == {"running": 1}


def test_it_answers_404_json_for_an_unknown_nickname(get_json: Callable[..., Any]) -> None:
    error = get_json(queue_url("NO_SUCH_QUEUE"), status=404)["error"]
    assert error["code"] == "not_found" and "NO_SUCH_QUEUE" in error["message"]


def test_its_default_window_is_the_last_12_hours(get_json: Callable[..., Any]) -> None:
    window = get_json(queue_url("TRIUMF_PROD"))["meta"]["window"]
    start, end = parse_datetime(window["from"]), parse_datetime(window["to"])
    assert start is not None and end is not None and end - start == timedelta(hours=12)


# ---------------------------------------------------------------------------- jobs and errors


@pytest.mark.parametrize("hours", [1, 12, 24 * 4])
def test_its_job_counts_by_jobstatus_are_those_of_the_orm(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    nickname = busiest_queue(window(12))
    expected = fixed.jobs_by_status(Q(computingsite=nickname))
    assert expected, "the busiest queue has jobs in the window"
    jobs = get_json(queue_url(nickname), **fixed.params)["data"]["jobs"]
    assert jobs == dict(expected)
    assert list(jobs.values()) == sorted(jobs.values(), reverse=True)


def test_its_errors_are_the_failed_jobs_codes_by_component_most_frequent_first(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow]
) -> None:
    fixed = window(24)
    nickname = most_failing_queue(fixed)
    counts, newest = failed_jobs_codes(nickname, fixed)
    assert counts
    errors = get_json(queue_url(nickname), **fixed.params)["data"]["errors"]
    assert len(errors) == min(len(counts), queries.TOP_ERRORS)
    assert [e["count"] for e in errors] == sorted(counts.values(), reverse=True)[: len(errors)]
    for error in errors:
        key = (error["component"], error["code"])
        assert error["count"] == counts[key] and error["example_pandaid"] == newest[key]
        assert error["description"] == errorcodes.describe(*key)


def test_a_job_failing_in_two_components_counts_for_both(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], seed_now: datetime) -> None:
    fixed = window(12)
    before, _newest = failed_jobs_codes("TRIUMF_PROD", fixed)
    job = add_job("TRIUMF_PROD", seed_now - timedelta(hours=1), piloterrorcode=1099, exeerrorcode=65)
    errors = {(e["component"], e["code"]): e for e in get_json(queue_url("TRIUMF_PROD"), **fixed.params)["data"]["errors"]}
    for key in (("pilot", 1099), ("exe", 65)):
        assert errors[key]["count"] == before[key] + 1
        assert errors[key]["example_pandaid"] == job.pandaid


def test_its_errors_ignore_jobs_that_did_not_fail(get_json: Callable[..., Any], seed_now: datetime) -> None:
    add_queue("QUIET_TEST", '{"cloud": "CA", "status": "online"}')
    add_job("QUIET_TEST", seed_now - timedelta(hours=1), jobstatus="finished", piloterrorcode=1099)
    add_job("QUIET_TEST", seed_now - timedelta(hours=1), jobstatus="cancelled", taskbuffererrorcode=100)
    data = get_json(queue_url("QUIET_TEST"))["data"]
    assert data["jobs"] == {"finished": 1, "cancelled": 1} and data["errors"] == []


def test_its_example_pandaids_are_failed_jobs_of_the_queue(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(24 * 4)
    nickname = most_failing_queue(window(24))
    errors = get_json(queue_url(nickname), **fixed.params)["data"]["errors"]
    assert errors
    examples = {e["example_pandaid"] for e in errors}
    failed_here = Q(pandaid__in=examples, computingsite=nickname, jobstatus="failed")
    found = {pandaid for model in (JobsArchived4, JobsArchived) for pandaid in model._default_manager.filter(failed_here).values_list("pandaid", flat=True)}
    assert found == examples


def test_a_queue_without_jobs_or_workers_has_empty_counts(get_json: Callable[..., Any]) -> None:
    add_queue("EMPTY_TEST", '{"status": "offline"}')
    data = get_json(queue_url("EMPTY_TEST"))["data"]
    assert data["jobs"] == {} and data["errors"] == [] and data["workers"] == {}


# ---------------------------------------------------------------------------- workers


@pytest.mark.parametrize("hours", [1, 12, 24 * 4])
def test_its_workers_by_status_are_those_of_harvester_workers(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    nickname = busiest_queue(window(12))
    expected = workers_by_status(nickname, fixed)
    assert expected, "the busiest queue has workers in the window"
    workers = get_json(queue_url(nickname), **fixed.params)["data"]["workers"]
    assert workers == dict(expected)
    assert list(workers.values()) == sorted(workers.values(), reverse=True)


def test_its_workers_are_those_of_the_queue_updated_in_the_window(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow], seed_now: datetime
) -> None:
    fixed = window(2)
    add_queue("WORKERS_TEST", '{"status": "online"}')
    add_worker("WORKERS_TEST", seed_now - timedelta(minutes=30), "running")
    add_worker("WORKERS_TEST", seed_now - timedelta(minutes=40), "running")
    add_worker("WORKERS_TEST", seed_now - timedelta(minutes=50), "submitted")
    add_worker("WORKERS_TEST", seed_now - timedelta(hours=3), "finished")
    add_worker("OTHER_TEST", seed_now - timedelta(minutes=30), "failed")
    assert get_json(queue_url("WORKERS_TEST"), **fixed.params)["data"]["workers"] == {"running": 2, "submitted": 1}


# ---------------------------------------------------------------------------- errors and cost


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "5"}, "limit"),
        ({"cloud": "CA"}, "cloud"),
        ({"hours": "-1"}, "hours"),
        ({"hours": "2", "days": "1"}, "hours"),
        ({"date_from": "yesterday"}, "date_from"),
    ],
)
def test_a_queue_rejects_unknown_parameters_and_bad_windows(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    assert field in get_json(queue_url("TRIUMF_PROD"), status=400, **params)["error"]["fields"]


def test_a_queue_costs_one_query_for_its_document_and_one_per_table(anon_client: Client, django_assert_num_queries: Any) -> None:
    # SCHEDCONFIG_JSON; job counts in the 4 live tables; errors in JOBSARCHIVED4 (the archive is
    # beyond a 12-hour window); HARVESTER_WORKERS.
    with django_assert_num_queries(7, connection=connections["panda"]):
        assert anon_client.get(queue_url("TRIUMF_PROD")).status_code == 200
