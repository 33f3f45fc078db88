"""/api/meta/beta/: who is in the beta testers group, for staff only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

URL = "/api/meta/beta/"


def test_it_lists_the_beta_testers_for_staff(staff_client: Client, beta_user: User, get_json: Callable[..., Any]) -> None:
    body = get_json(URL, client=staff_client)
    data = body["data"]
    assert data["group"] == "beta testers"
    assert [m["username"] for m in data["members"]] == ["tester"]
    assert data["members"][0]["email"] == "tester@example.org"
    assert body["meta"]["count"] == 1


def test_it_names_the_sections_in_beta(staff_client: Client, get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.stats.state", "beta")
    pandjango_config("sections.sites.state", "beta")
    assert get_json(URL, client=staff_client)["data"]["beta_sections"] == ["sites", "stats"]


def test_it_is_closed_to_beta_testers_and_anonymous_users(beta_client: Client, get_json: Callable[..., Any]) -> None:
    for client in (beta_client, None):
        body = get_json(URL, status=403, client=client)
        assert body["error"]["code"] == "forbidden"
        assert "tester@example.org" not in str(body)


def test_it_answers_get_only(staff_client: Client) -> None:
    assert staff_client.post(URL).status_code == 405
