"""pandadb/queues.py: SCHEDCONFIG_JSON documents parsed whatever their state, and the parsed
queues kept until forgotten."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connections

from pandjango.pandadb import queues
from pandjango.pandadb.models import SchedConfigJson
from pandjango.pandadb.queues import QUEUE_KEYS, all_queues, forget_queues, parse_document, queue_document, summary_of

WHEN = datetime(2026, 11, 20, 8, 0)


# ---------------------------------------------------------------------------- one document


@pytest.mark.no_db
def test_a_document_is_parsed_with_every_key_it_has_and_its_queue_s_name() -> None:
    parsed = parse_document("TRIUMF_PROD", '{"nickname": "old name", "cloud": "CA", "queues": [{"ce_endpoint": "ce01"}]}', WHEN)
    assert parsed == {
        "nickname": "TRIUMF_PROD", "cloud": "CA", "queues": [{"ce_endpoint": "ce01"}],
        "last_update": WHEN.replace(tzinfo=UTC), "document_error": None,
    }


@pytest.mark.no_db
def test_a_document_the_driver_already_parsed_is_taken_as_it_is() -> None:
    assert parse_document("Q", {"cloud": "CA"})["cloud"] == "CA"


@pytest.mark.no_db
def test_broken_json_gives_an_empty_document_that_says_why() -> None:
    parsed = parse_document("BROKEN", '{"cloud": ')
    assert parsed["document_error"].startswith("broken JSON") and parsed["nickname"] == "BROKEN"
    assert set(parsed) == {"nickname", "last_update", "document_error"}


@pytest.mark.no_db
@pytest.mark.parametrize(("data", "kind"), [("[1, 2]", "list"), ('"text"', "str"), ("3", "int"), ([1, 2], "list")])
def test_a_document_that_is_no_json_object_says_what_it_is(data: object, kind: str) -> None:
    parsed = parse_document("ODD", data)
    assert parsed["document_error"] == f"not a JSON object but {kind}" and "cloud" not in parsed


@pytest.mark.no_db
def test_a_missing_document_says_so() -> None:
    assert parse_document("NONE", None)["document_error"] == "no document"


@pytest.mark.no_db
def test_a_summary_has_every_listed_key_none_where_the_document_lacks_it() -> None:
    summary = summary_of(parse_document("SPARSE", '{"cloud": "CERN", "status": "test"}'))
    assert list(summary) == list(QUEUE_KEYS)
    assert (summary["nickname"], summary["cloud"], summary["status"]) == ("SPARSE", "CERN", "test")
    assert all(summary[k] is None for k in QUEUE_KEYS if k not in ("nickname", "cloud", "status"))


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("value", "number"),
    [(8, 8), ("8", 8), ("12.5", 12.5), (9.75, 9.75), ("eight", None), ("", None), (None, None), ([8], None), (True, 1)],
)
def test_a_summary_reads_numbers_as_numbers_and_unreadable_ones_as_none(value: object, number: object) -> None:
    summary = summary_of(parse_document("Q", {"corecount": value}))
    assert summary["corecount"] == number and type(summary["corecount"]) is type(number)


@pytest.mark.no_db
def test_a_summary_writes_nested_values_as_json_text_and_takes_cric_s_last_modified() -> None:
    summary = summary_of(parse_document("Q", {"catchall": ["a", "b"], "comment": 7, "last_modified": "2026-11-01T00:00:00"}))
    assert (summary["catchall"], summary["comment"], summary["lastmod"]) == ('["a","b"]', "7", "2026-11-01T00:00:00")


# ---------------------------------------------------------------------------- all queues


def test_all_queues_are_every_row_by_panda_queue() -> None:
    assert [q["nickname"] for q in all_queues()] == list(SchedConfigJson.objects.order_by("panda_queue").values_list("panda_queue", flat=True))


def test_all_queues_are_kept_until_forgotten() -> None:
    before = all_queues()
    SchedConfigJson.objects.create(panda_queue="NEW_TEST", data='{"cloud": "UK"}')
    assert all_queues() is before
    forget_queues()
    after = all_queues()
    assert len(after) == len(before) + 1 and next(q for q in after if q["nickname"] == "NEW_TEST")["cloud"] == "UK"


def test_the_shared_copy_serves_a_process_that_has_none(django_assert_num_queries: Any) -> None:
    first = all_queues()
    queues._local.update(queues=None, until=0.0)  # another process: only the shared cache has them
    with django_assert_num_queries(0, connection=connections["panda"]):
        again = all_queues()
    assert again == first and again is not first


def test_a_broken_document_does_not_break_the_others(vendor: str) -> None:
    SchedConfigJson.objects.create(panda_queue="BROKEN_TEST", data="[1, 2]" if vendor == "postgresql" else '{"cloud": ')
    forget_queues()
    by_nickname = {q["nickname"]: q for q in all_queues()}
    assert by_nickname["BROKEN_TEST"]["document_error"] and by_nickname["TRIUMF_PROD"]["cloud"] == "CA"


def test_one_queue_s_document_is_read_whole_or_is_none() -> None:
    document = queue_document("TRIUMF_PROD")
    assert document is not None and document["queues"] and document["nickname"] == "TRIUMF_PROD"
    assert queue_document("NO_SUCH_QUEUE") is None
