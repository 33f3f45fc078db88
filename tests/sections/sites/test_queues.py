"""The queue list (/api/sites/): the SCHEDCONFIG_JSON documents' keys, filtered, sorted and cut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from pandjango.api.filters import Filter, PandaFilter
from pandjango.pandadb.models import JobsArchived4
from pandjango.pandadb.queues import NUMBER_KEYS, QUEUE_KEYS
from sections.sites import queries, views
from tests.api_helpers import assert_matches_schema, with_query
from tests.queues_helpers import add_queue, documents

QUEUES = "/api/sites/"
MAX = 10000
Document = dict[str, Any]


def nicknames(body: dict[str, Any]) -> list[str]:
    return [row["nickname"] for row in body["data"]]


def matching(test: Callable[[Document], bool]) -> list[str]:
    """The nicknames, in order, of the queues whose document (named by its PANDA_QUEUE, as
    the list names it) passes `test`."""
    return sorted(nickname for nickname, document in documents().items() if test({**document, "nickname": nickname}))


def number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def broken_document(vendor: str) -> str:
    # PostgreSQL's json column refuses broken JSON: there, a document that is no JSON object.
    return "[1, 2]" if vendor == "postgresql" else '{"cloud": '


# ---------------------------------------------------------------------------- rows and fields


def test_it_lists_every_queue_by_nickname_with_the_default_fields(get_json: Callable[..., Any]) -> None:
    body = get_json(QUEUES, limit=MAX)
    assert nicknames(body) == sorted(documents())
    assert body["meta"]["count"] == len(documents()) and body["meta"]["truncated"] is False
    assert all(list(row) == list(queries.QUEUE_LIST_FIELDS) for row in body["data"])


def test_its_rows_hold_the_documents_keys(get_json: Callable[..., Any]) -> None:
    text_keys = ["cloud", "region", "tier", "status", "state", "type", "atlas_site", "harvester", "comment"]
    rows = get_json(QUEUES, limit=MAX, fields=",".join(["nickname", *text_keys, *NUMBER_KEYS]))["data"]
    docs = documents()
    assert rows
    for row in rows:
        document = docs[row["nickname"]]
        assert {k: row[k] for k in text_keys} == {k: document.get(k) for k in text_keys}, row["nickname"]
        assert {k: row[k] for k in NUMBER_KEYS} == {k: number(document.get(k)) for k in NUMBER_KEYS}, row["nickname"]


def test_its_answer_matches_its_declared_schema(get_json: Callable[..., Any]) -> None:
    assert_matches_schema(get_json(QUEUES, limit=MAX), "sites.list")
    assert_matches_schema(get_json(QUEUES, limit=MAX, fields=",".join(QUEUE_KEYS)), "sites.list")


def test_its_schema_describes_exactly_the_listed_keys() -> None:
    assert list(views.QueueList.data_schema["items"]["properties"]) == list(QUEUE_KEYS)
    assert list(views.QueueList.spec.output_fields) == list(QUEUE_KEYS)


def test_it_offers_no_personal_data(get_json: Callable[..., Any], staff_client: Client) -> None:
    error = get_json(QUEUES, status=400, client=staff_client, fields="nickname,email")["error"]
    assert "email" in error["message"]


def test_it_returns_only_the_fields_asked_for(get_json: Callable[..., Any]) -> None:
    rows = get_json(QUEUES, fields="nickname,corepower,document_error")["data"]
    assert rows and all(list(row) == ["nickname", "corepower", "document_error"] for row in rows)


def test_a_document_with_missing_keys_is_listed_with_nulls(get_json: Callable[..., Any]) -> None:
    add_queue("SPARSE_TEST", '{"cloud": "UK", "status": "online", "maxtime": "a day"}')
    row = next(r for r in get_json(QUEUES, limit=MAX, fields=",".join(QUEUE_KEYS))["data"] if r["nickname"] == "SPARSE_TEST")
    assert (row["cloud"], row["status"], row["document_error"]) == ("UK", "online", None)
    assert row["maxtime"] is None and row["tier"] is None and row["harvester"] is None


def test_a_broken_document_is_listed_with_what_was_wrong(get_json: Callable[..., Any], vendor: str) -> None:
    add_queue("BROKEN_TEST", broken_document(vendor))
    body = get_json(QUEUES, limit=MAX, fields=",".join(QUEUE_KEYS))
    row = next(r for r in body["data"] if r["nickname"] == "BROKEN_TEST")
    assert row["document_error"] and row["cloud"] is None and row["status"] is None
    assert len(body["data"]) == len(documents())


def test_a_broken_document_passes_negated_filters_only(get_json: Callable[..., Any], vendor: str) -> None:
    add_queue("BROKEN_TEST", broken_document(vendor))
    assert "BROKEN_TEST" in nicknames(get_json(QUEUES, limit=MAX, cloud="!CA"))
    assert "BROKEN_TEST" not in nicknames(get_json(QUEUES, limit=MAX, cloud="*"))


# ---------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "test"),
    [
        ({"cloud": "CA"}, lambda d: d.get("cloud") == "CA"),
        ({"cloud": "CA|UK"}, lambda d: d.get("cloud") in ("CA", "UK")),
        ({"cloud": "!CA|UK"}, lambda d: d.get("cloud") not in ("CA", "UK")),
        ({"tier": "*"}, lambda d: d.get("tier") is not None),
        ({"region": "DE"}, lambda d: d.get("region") == "DE"),
        ({"tier": "T1"}, lambda d: d.get("tier") == "T1"),
        ({"tier": "T2*"}, lambda d: str(d.get("tier")).startswith("T2")),
        ({"status": "offline|test"}, lambda d: d.get("status") in ("offline", "test")),
        ({"status": "!online"}, lambda d: d.get("status") != "online"),
        ({"state": "DISABLED"}, lambda d: d.get("state") == "DISABLED"),
        ({"type": "production|unified"}, lambda d: d.get("type") in ("production", "unified")),
        ({"resource_type": "GRID"}, lambda d: d.get("resource_type") == "GRID"),
        ({"siteid": "ANALY_*"}, lambda d: str(d.get("siteid")).startswith("ANALY_")),
        ({"atlas_site": "INFN-*|*LCG2"}, lambda d: d.get("atlas_site", "").startswith("INFN-") or d.get("atlas_site", "").endswith("LCG2")),
        ({"nickname": "ANALY_*"}, lambda d: d["nickname"].startswith("ANALY_")),
        ({"nickname": "*_MCORE"}, lambda d: d["nickname"].endswith("_MCORE")),
        ({"nickname": "*SCOTGRID*"}, lambda d: "SCOTGRID" in d["nickname"]),
        ({"nickname": "SCOTGRID*_PROD"}, lambda d: d["nickname"].startswith("SCOTGRID") and d["nickname"].endswith("_PROD")),
        ({"nickname": "!ANALY_*|*_MCORE"}, lambda d: not d["nickname"].startswith("ANALY_") and not d["nickname"].endswith("_MCORE")),
        ({"nickname": "TRIUMF_PROD"}, lambda d: d["nickname"] == "TRIUMF_PROD"),
        ({"cloud": "US", "status": "online"}, lambda d: d.get("cloud") == "US" and d.get("status") == "online"),
    ],
)
def test_each_filter_form_selects_exactly_the_matching_queues(
    get_json: Callable[..., Any], params: dict[str, str], test: Callable[[Document], bool]
) -> None:
    wanted = matching(test)
    assert 0 < len(wanted) < len(documents())
    assert nicknames(get_json(with_query(QUEUES, limit=MAX, **params))) == wanted


@pytest.mark.parametrize("raw", ["TRIUMF_PROD", "ANALY_*|*_MCORE", "!ANALY_*", "*GLASGOW*", "SCOTGRID*PROD", "*", "!*_TEST|BNL*"])
def test_its_filters_mean_what_the_same_filter_means_in_the_database(raw: str) -> None:
    sites = list(JobsArchived4.objects.values_list("computingsite", flat=True).distinct())
    in_database = JobsArchived4.objects.filter(PandaFilter(field_name="computingsite").q(raw))
    selected = set(in_database.values_list("computingsite", flat=True))
    assert selected and {site for site in sites if Filter.parse("computingsite", raw).matches(site)} == selected


# ---------------------------------------------------------------------------- sort and limit


def expected_order(values: dict[str, Any], descending: bool) -> list[str]:
    """The nicknames by value (either way), those without a value last, ties by nickname."""
    distinct = sorted({v for v in values.values() if v is not None}, reverse=descending)
    rank = {v: i for i, v in enumerate(distinct)}
    present = sorted((rank[v], nickname) for nickname, v in values.items() if v is not None)
    return [nickname for _rank, nickname in present] + sorted(n for n, v in values.items() if v is None)


@pytest.mark.parametrize("sort", ["corecount", "-corecount", "cloud", "-cloud", "-maxtime", "comment", "-lastmod", "corepower"])
def test_it_sorts_by_a_key_either_way_nulls_last_and_nickname_breaking_ties(get_json: Callable[..., Any], sort: str) -> None:
    key = sort.lstrip("-")
    add_queue("SPARSE_TEST", '{"status": "online"}')
    convert = number if key in NUMBER_KEYS else (lambda v: v)
    values = {nickname: convert(document.get(key)) for nickname, document in documents().items()}
    assert None in values.values()
    got = nicknames(get_json(QUEUES, limit=MAX, sort=sort, fields=f"nickname,{key}"))
    assert got == expected_order(values, sort.startswith("-"))
    assert got[-1] in {n for n, v in values.items() if v is None}


def test_it_limits_the_rows_and_says_when_more_exist(get_json: Callable[..., Any]) -> None:
    total = len(documents())
    body = get_json(QUEUES, limit=5)
    assert nicknames(body) == sorted(documents())[:5]
    assert body["meta"]["limit"] == 5 and body["meta"]["count"] == 5 and body["meta"]["truncated"] is True
    assert get_json(QUEUES, limit=total)["meta"]["truncated"] is False


def test_it_limits_after_filtering_and_sorting(get_json: Callable[..., Any]) -> None:
    wanted = matching(lambda d: d.get("cloud") == "US")
    body = get_json(QUEUES, cloud="US", sort="-nickname", limit=3)
    assert nicknames(body) == sorted(wanted, reverse=True)[:3] and body["meta"]["truncated"] is (len(wanted) > 3)


# ---------------------------------------------------------------------------- errors and cost


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "CA"}, "country"),
        ({"hours": "12"}, "hours"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"sort": "bogus"}, "sort"),
        ({"sort": "email"}, "sort"),
        ({"fields": "nickname,bogus"}, "fields"),
        ({"fields": "nickname,gatekeeper"}, "fields"),
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


def test_the_list_reads_the_documents_once_then_keeps_them(anon_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1, connection=connections["panda"]):
        assert anon_client.get(QUEUES).status_code == 200
    with django_assert_num_queries(0, connection=connections["panda"]):
        assert anon_client.get(with_query(QUEUES, cloud="CA", sort="-corecount")).status_code == 200


def test_it_is_closed_to_anonymous_users_when_the_section_is_in_beta(
    get_json: Callable[..., Any], beta_client: Client, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.sites.state", "beta")
    assert get_json(QUEUES, status=403)["error"]["code"] == "forbidden"
    get_json("/api/sites/TRIUMF_PROD/", status=403)
    assert get_json(QUEUES, client=beta_client)["data"]
