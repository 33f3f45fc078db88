"""The queue list (/api/sites/) and one queue (/api/sites/<nickname>/)."""

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
from pandjango.pandadb.models import JobColumns, JobsActive4, JobsArchived, JobsArchived4, SchedConfig
from sections.sites import queries
from tests.api_helpers import assert_matches_schema, with_query

from .conftest import FixedWindow

QUEUES = "/api/sites/"
MAX = 10000
NEW_PANDAIDS = itertools.count(9_000_000_000)


def queue_url(nickname: str) -> str:
    return f"/api/sites/{nickname}/"


def nicknames(body: dict[str, Any]) -> list[str]:
    return [row["nickname"] for row in body["data"]]


def orm_nicknames(q: Q) -> list[str]:
    return list(SchedConfig.objects.filter(q).order_by("nickname").values_list("nickname", flat=True))


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


def add_job(nickname: str, when: datetime, jobstatus: str = "failed", **columns: Any) -> JobColumns:
    model: type[JobColumns] = JobsArchived4 if jobstatus in ("finished", "failed", "cancelled", "closed") else JobsActive4
    job = model(pandaid=next(NEW_PANDAIDS), computingsite=nickname, jobstatus=jobstatus, modificationtime=when, **columns)
    job.save(force_insert=True)
    return job


# ---------------------------------------------------------------------------- the list


def test_it_lists_every_queue_by_nickname_with_the_default_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(QUEUES, limit=MAX)
    assert nicknames(body) == orm_nicknames(Q())
    assert body["meta"]["count"] == SchedConfig.objects.count() and body["meta"]["truncated"] is False
    for row in body["data"]:
        assert set(row) == set(queries.QUEUE_LIST_FIELDS) - {"email"}


def test_its_rows_hold_the_configuration_of_schedconfig(get_json: Callable[..., Any]) -> None:
    rows = get_json(QUEUES, limit=MAX, fields="nickname,status,corecount,comment_,lastmod")["data"]
    config = {q.nickname: q for q in SchedConfig.objects.all()}
    for row in rows:
        queue = config[row["nickname"]]
        assert (row["status"], row["corecount"], row["comment_"]) == (queue.status, queue.corecount, queue.comment)
        assert queue.lastmod is not None and parse_datetime(row["lastmod"]) == queue.lastmod


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any], staff_client: Client) -> None:
    assert_matches_schema(get_json(QUEUES, limit=MAX), "sites.list")
    assert_matches_schema(get_json(QUEUES, client=staff_client, fields=",".join(queries.QUEUE_COLUMNS)), "sites.list")


def test_it_hides_email_from_anonymous_users_and_beta_testers(get_json: Callable[..., Any], beta_client: Client) -> None:
    for client in (None, beta_client):
        assert all("email" not in row for row in get_json(QUEUES, client=client)["data"])
        error = get_json(QUEUES, status=400, client=client, fields="nickname,email")["error"]
        assert "email" in error["message"]


def test_it_shows_email_to_staff(get_json: Callable[..., Any], staff_client: Client) -> None:
    rows = get_json(QUEUES, client=staff_client, limit=MAX)["data"]
    emails = dict(SchedConfig.objects.values_list("nickname", "email"))
    assert {row["nickname"]: row["email"] for row in rows} == emails


def test_nobody_may_sort_by_email(get_json: Callable[..., Any], staff_client: Client) -> None:
    get_json(QUEUES, status=400, client=staff_client, sort="email")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cloud": "CA"}, Q(cloud="CA")),
        ({"cloud": "CA|UK"}, Q(cloud__in=["CA", "UK"])),
        ({"cloud": "!CA|UK"}, ~Q(cloud__in=["CA", "UK"])),
        ({"region": "DE"}, Q(region="DE")),
        ({"tier": "T1"}, Q(tier="T1")),
        ({"tier": "T2*"}, Q(tier__startswith="T2")),
        ({"status": "offline|test"}, Q(status__in=["offline", "test"])),
        ({"status": "!online"}, ~Q(status="online")),
        ({"siteid": "CERN-*"}, Q(siteid__startswith="CERN-")),
        ({"siteid": "INFN-*|*LCG2"}, Q(siteid__startswith="INFN-") | Q(siteid__endswith="LCG2")),
        ({"nickname": "ANALY_*"}, Q(nickname__startswith="ANALY_")),
        ({"nickname": "*_MCORE"}, Q(nickname__endswith="_MCORE")),
        ({"nickname": "*SCOTGRID*"}, Q(nickname__contains="SCOTGRID")),
        ({"nickname": "!ANALY_*|*_MCORE"}, ~Q(nickname__startswith="ANALY_") & ~Q(nickname__endswith="_MCORE")),
        ({"nickname": "TRIUMF_PROD"}, Q(nickname="TRIUMF_PROD")),
        ({"cloud": "US", "status": "online"}, Q(cloud="US", status="online")),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_queues(get_json: Callable[..., Any], params: dict[str, str], expected: Q) -> None:
    wanted = orm_nicknames(expected)
    assert 0 < len(wanted) < SchedConfig.objects.count()
    assert nicknames(get_json(with_query(QUEUES, limit=MAX, **params))) == wanted


def test_it_limits_the_rows_and_says_when_more_exist(get_json: Callable[..., Any]) -> None:
    total = SchedConfig.objects.count()
    body = get_json(QUEUES, limit=5)
    assert nicknames(body) == orm_nicknames(Q())[:5]
    assert body["meta"]["limit"] == 5 and body["meta"]["count"] == 5 and body["meta"]["truncated"] is True
    assert get_json(QUEUES, limit=total)["meta"]["truncated"] is False


@pytest.mark.parametrize("sort", ["nodes", "-nodes", "cloud", "-comment_", "-lastmod"])
def test_it_sorts_by_a_column_either_way_with_nickname_breaking_ties(get_json: Callable[..., Any], sort: str) -> None:
    column = sort.lstrip("-")
    field = "comment" if column == "comment_" else column
    descending = sort.startswith("-")
    expected = list(
        SchedConfig.objects.order_by(f"-{field}" if descending else field, "-nickname" if descending else "nickname").values_list("nickname", flat=True)
    )
    assert nicknames(get_json(QUEUES, limit=MAX, sort=sort, fields=f"nickname,{column}")) == expected


def test_it_returns_only_the_fields_asked_for(get_json: Callable[..., Any]) -> None:
    rows = get_json(QUEUES, fields="nickname,comment_,pilotlimit")["data"]
    assert rows and all(set(row) == {"nickname", "comment_", "pilotlimit"} for row in rows)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "CA"}, "country"),
        ({"hours": "12"}, "hours"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"sort": "bogus"}, "sort"),
        ({"fields": "nickname,bogus"}, "fields"),
        ({"cloud": "CA||UK"}, "cloud"),
        ({"nickname": "!"}, "nickname"),
    ],
)
def test_it_rejects_unknown_parameters_and_bad_values(get_json: Callable[..., Any], params: dict[str, str], field: str) -> None:
    error = get_json(with_query(QUEUES, **params), status=400)["error"]
    assert error["status"] == 400 and error["code"] == "bad_request"
    assert field in error["fields"]


def test_it_rejects_a_filter_given_twice(anon_client: Client) -> None:
    response = anon_client.get(QUEUES + "?cloud=CA&cloud=UK")
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"cloud": "given more than once"}


def test_the_list_costs_one_query(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(QUEUES, {"limit": str(MAX), "cloud": "!CA", "sort": "-nodes"}).status_code == 200


def test_it_is_closed_to_anonymous_users_when_the_section_is_in_beta(
    get_json: Callable[..., Any], beta_client: Client, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.sites.state", "beta")
    assert get_json(QUEUES, status=403)["error"]["code"] == "forbidden"
    get_json(queue_url("TRIUMF_PROD"), status=403)
    assert get_json(QUEUES, client=beta_client)["data"]


# ---------------------------------------------------------------------------- one queue


def test_it_shows_a_queue_s_whole_configuration_without_email_for_anonymous_users(get_json: Callable[..., Any]) -> None:
    data = get_json(queue_url("TRIUMF_PROD"))["data"]
    queue = SchedConfig.objects.get(nickname="TRIUMF_PROD")
    for column in set(queries.QUEUE_COLUMNS) - {"email", "comment_", "lastmod"}:
        assert data[column] == getattr(queue, column), column
    assert data["comment_"] == queue.comment and parse_datetime(data["lastmod"]) == queue.lastmod
    assert "email" not in data


def test_it_shows_a_queue_s_email_to_staff(get_json: Callable[..., Any], staff_client: Client) -> None:
    data = get_json(queue_url("TRIUMF_PROD"), client=staff_client)["data"]
    assert data["email"] == SchedConfig.objects.get(nickname="TRIUMF_PROD").email


def test_a_queue_s_answer_matches_its_declared_schema(get_json: Callable[..., Any], staff_client: Client, window: Callable[[float], FixedWindow]) -> None:
    nickname = busiest_queue(window(12))
    assert_matches_schema(get_json(queue_url(nickname)), "sites.queue")
    assert_matches_schema(get_json(queue_url(nickname), client=staff_client, days=4), "sites.queue")


def test_its_default_window_is_the_last_12_hours(get_json: Callable[..., Any]) -> None:
    window = get_json(queue_url("TRIUMF_PROD"))["meta"]["window"]
    start, end = parse_datetime(window["from"]), parse_datetime(window["to"])
    assert start is not None and end is not None and end - start == timedelta(hours=12)


@pytest.mark.parametrize("hours", [1, 12, 24 * 4])
def test_its_job_counts_by_jobstatus_are_those_of_the_orm(get_json: Callable[..., Any], window: Callable[[float], FixedWindow], hours: int) -> None:
    fixed = window(hours)
    nickname = busiest_queue(window(12))
    expected = fixed.jobs_by_status(Q(computingsite=nickname))
    assert expected, "the busiest queue has jobs in the window"
    jobs = get_json(queue_url(nickname), **fixed.params)["data"]["jobs"]
    assert jobs == dict(expected)
    assert list(jobs.values()) == sorted(jobs.values(), reverse=True)


def test_its_job_counts_agree_with_the_jobs_list(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(12)
    nickname = busiest_queue(fixed)
    jobs = get_json(queue_url(nickname), **fixed.params)["data"]["jobs"]
    for jobstatus, count in jobs.items():
        listed = get_json("/api/production/jobs/", computingsite=nickname, jobstatus=jobstatus, limit=MAX, **fixed.params)
        assert listed["meta"]["count"] == count, jobstatus


def test_its_errors_are_the_failed_jobs_codes_by_component_most_frequent_first(
    get_json: Callable[..., Any], window: Callable[[float], FixedWindow]
) -> None:
    fixed = window(24)
    nickname = most_failing_queue(fixed)
    counts, newest = failed_jobs_codes(nickname, fixed)
    assert counts
    errors = get_json(queue_url(nickname), **fixed.params)["data"]["errors"]
    assert len(errors) == min(len(counts), queries.TOP_ERRORS)
    assert [e["count"] for e in errors] == sorted((e["count"] for e in errors), reverse=True)
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
    nickname = "QUIET_TEST"
    SchedConfig.objects.create(nickname=nickname, cloud="CA", status="online")
    add_job(nickname, seed_now - timedelta(hours=1), jobstatus="finished", piloterrorcode=1099)
    add_job(nickname, seed_now - timedelta(hours=1), jobstatus="cancelled", taskbuffererrorcode=100)
    data = get_json(queue_url(nickname))["data"]
    assert data["jobs"] == {"finished": 1, "cancelled": 1} and data["errors"] == []


def test_it_finds_a_queue_whose_nickname_holds_dashes_and_dots(get_json: Callable[..., Any], seed_now: datetime) -> None:
    nickname = "UKI-LT2.QMUL_TEST-1"
    SchedConfig.objects.create(nickname=nickname, cloud="UK", status="test")
    add_job(nickname, seed_now - timedelta(minutes=10), jobstatus="running")
    data = get_json(queue_url(nickname))["data"]
    assert data["nickname"] == nickname and data["jobs"] == {"running": 1}


def test_a_queue_without_jobs_has_empty_counts(get_json: Callable[..., Any]) -> None:
    SchedConfig.objects.create(nickname="EMPTY_TEST", status="offline")
    data = get_json(queue_url("EMPTY_TEST"))["data"]
    assert data["jobs"] == {} and data["errors"] == []


def test_it_answers_404_json_for_an_unknown_nickname(get_json: Callable[..., Any]) -> None:
    error = get_json(queue_url("NO_SUCH_QUEUE"), status=404)["error"]
    assert error["code"] == "not_found" and "NO_SUCH_QUEUE" in error["message"]


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


def test_a_queue_costs_one_query_for_its_row_and_one_per_job_table(anon_client: Client, django_assert_num_queries: Any) -> None:
    # SCHEDCONFIG; job counts in the 4 live tables; errors in JOBSARCHIVED4 (the archive is
    # beyond a 12-hour window).
    with django_assert_num_queries(6, connection=connections["panda"]):
        assert anon_client.get(queue_url("TRIUMF_PROD")).status_code == 200


def test_its_example_pandaids_are_failed_jobs_of_the_queue(get_json: Callable[..., Any], window: Callable[[float], FixedWindow]) -> None:
    fixed = window(24 * 4)
    nickname = most_failing_queue(window(24))
    errors = get_json(queue_url(nickname), **fixed.params)["data"]["errors"]
    assert errors
    examples = {e["example_pandaid"] for e in errors}
    failed_here = Q(pandaid__in=examples, computingsite=nickname, jobstatus="failed")
    found = {pandaid for model in (JobsArchived4, JobsArchived) for pandaid in model._default_manager.filter(failed_here).values_list("pandaid", flat=True)}
    assert found == examples
