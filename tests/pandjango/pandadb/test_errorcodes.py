"""Error descriptions: PanDA's ERROR_DESCRIPTIONS where the database has it, the built-in
table otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pandjango.pandadb import errorcodes
from pandjango.pandadb.models import ErrorDescriptions, JobsArchived4


@pytest.fixture(autouse=True)
def fresh_descriptions() -> Iterator[None]:
    errorcodes.forget_descriptions()
    yield
    errorcodes.forget_descriptions()


def test_a_description_comes_from_the_error_descriptions_table() -> None:
    ErrorDescriptions.objects.filter(component="pilot", code=1099).update(description="stage-in failed: no replica reachable")
    assert errorcodes.describe("pilot", 1099) == "stage-in failed: no replica reachable"


def test_the_tables_component_names_map_to_ours() -> None:
    ErrorDescriptions.objects.create(id=99001, component="dataservice", code=206, description="bad RSE", category=1)
    ErrorDescriptions.objects.create(id=99002, component="executor", code=65, description="payload failed", category=5)
    assert errorcodes.describe("ddm", 206) == "bad RSE"
    assert errorcodes.describe("exe", 65) == "payload failed"


def test_a_code_the_table_lacks_falls_back_to_the_built_in_table() -> None:
    ErrorDescriptions.objects.filter(component="pilot", code=1150).delete()
    assert errorcodes.describe("pilot", 1150) == errorcodes.CODES["pilot"][1150]
    assert errorcodes.describe("exe", 137) == "payload exit code 137"


def test_a_database_without_the_table_uses_the_built_in_one_and_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ErrorDescriptions._meta, "db_table", "no_such_error_descriptions")
    assert errorcodes.table_descriptions() == {}
    assert errorcodes.describe("pilot", 1099) == errorcodes.CODES["pilot"][1099]
    assert JobsArchived4.objects.exists()  # the failed read spoiled no transaction


def test_the_table_is_read_once_per_refresh(django_assert_num_queries: Callable[..., Any]) -> None:
    errorcodes.describe("pilot", 1099)
    with django_assert_num_queries(0, using="panda"):
        errorcodes.describe("pilot", 1008)
        errorcodes.describe("jobdispatcher", 100)


def test_the_errors_summary_shows_the_tables_descriptions(get_json: Callable[..., Any]) -> None:
    ErrorDescriptions.objects.filter(component="pilot").update(description="from the table")
    body = get_json("/api/production/errors/", days=4)
    pilot = [entry for entry in body["data"]["by_code"] if entry["component"] == "pilot"]
    assert pilot and {entry["description"] for entry in pilot} == {"from the table"}
