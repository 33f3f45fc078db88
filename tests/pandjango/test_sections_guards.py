"""Guards of section visibility and the legacy tabs (pandjango/sections.py,
pandjango/legacy/paths.py), each held by a test that fails when the guard is changed (mutation
testing, docs/testing.md): what staff see of the beta testers, and which configured legacy tabs
`manage.py sections` reports as refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User

from pandjango.legacy.paths import LegacySettings, section_tab_url, tab_problems
from pandjango.sections import beta_members, visible_schema

BASE = "http://old.example.org:25880/server/pandamon/"


def test_the_beta_members_are_listed_with_their_account_fields_in_one_query(beta_user: User, django_assert_num_queries: Any) -> None:
    login = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    User.objects.filter(pk=beta_user.pk).update(first_name="Ada", last_name="Lovelace", last_login=login)
    User.objects.create_user("outsider", "outsider@example.org", "pw")
    with django_assert_num_queries(1):  # a field left out of .only() would cost a query per member
        members = beta_members()
    assert members == [{"username": "tester", "name": "Ada Lovelace", "email": "tester@example.org", "is_active": True, "last_login": login}]


@pytest.mark.no_db
def test_a_tab_is_reported_when_its_path_or_query_would_be_refused() -> None:
    tabs = {"clouds": "/query?dash=clouds", "jobs": "query", "prefix": "X/query", "control": "query?job=%01", "admin": "admin/config"}
    cfg = LegacySettings(base_url=BASE, allowed_prefixes=("query",), timeout_seconds=1, max_bytes=1000, cache_lifetime=0, tabs=tabs)
    assert sorted(tab_problems(cfg)) == ["admin", "control", "prefix"]


@pytest.mark.no_db
def test_a_section_that_is_off_goes_to_the_legacy_tab_of_its_name(pandjango_config: Any) -> None:
    pandjango_config("legacy.base_url", BASE)
    pandjango_config("legacy.tabs", {"Jobs": "/query?dash=jobs&note=a?b", "XQuery": "Xquery"})
    assert section_tab_url("jobs") == "/legacy/query?dash=jobs&note=a?b"
    assert section_tab_url("xquery") == "/legacy/Xquery"
    assert section_tab_url("tasks") is None


@pytest.mark.no_db
def test_the_openapi_document_loses_the_paths_and_tags_of_a_section_the_viewer_cannot_see(pandjango_config: Any) -> None:
    pandjango_config("sections.autopilot.state", "beta")
    schema = {
        "info": {"title": "t"},
        "tags": [{"name": "autopilot"}, {"name": "stats"}, {"description": "untagged"}],
        "paths": {"/api/autopilot/queues/": {}, "/api/stats/jobs/": {}, "/api/autopilotx/": {}},
    }
    shown = visible_schema(schema, AnonymousUser())
    assert shown["info"] == {"title": "t"}
    assert sorted(shown["paths"]) == ["/api/autopilotx/", "/api/stats/jobs/"]
    assert shown["tags"] == [{"name": "stats"}, {"description": "untagged"}]
    assert schema["tags"][0] == {"name": "autopilot"}  # the document given is left as it was


@pytest.mark.no_db
def test_a_document_without_paths_or_tags_gets_empty_paths_and_no_tags() -> None:
    shown = visible_schema({"info": {"title": "t"}}, AnonymousUser())
    assert shown == {"info": {"title": "t"}, "paths": {}}
