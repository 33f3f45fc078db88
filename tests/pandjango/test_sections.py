"""Section states and who sees what: anonymous, beta tester and staff x public, beta and off,
for the API, the pages, /api/, /api/schema/ and the navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.test import Client

from pandjango.sections import SECTIONS, visibility_class

VIEWERS = ("anon", "beta", "staff")
STATES = ("public", "beta", "off")
# Who sees a section in each state (the table).
SEES = {
    "public": {"anon", "beta", "staff"},
    "beta": {"beta", "staff"},
    "off": set(),
}
MATRIX = [(viewer, state) for viewer in VIEWERS for state in STATES]
Switch = Callable[[str], None]
JOBS = "/api/production/jobs/"


class Clients:
    """clients[viewer]: the client of that viewer, its user made only when asked for."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request

    def __getitem__(self, viewer: str) -> Client:
        return self.request.getfixturevalue(f"{viewer}_client")  # type: ignore[no-any-return]


@pytest.fixture
def clients(request: pytest.FixtureRequest) -> Clients:
    return Clients(request)


@pytest.fixture
def production_in(pandjango_config: Callable[[str, Any], None]) -> Callable[[str], None]:
    def switch(state: str) -> None:
        pandjango_config("sections.production.state", state)

    return switch


def sees(viewer: str, state: str) -> bool:
    return viewer in SEES[state]


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_api_answers_only_those_who_may_see_the_section(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get(JOBS, {"hours": 1, "limit": 1})
    assert response["Content-Type"].startswith("application/json")
    body = orjson.loads(response.content)
    if sees(viewer, state):
        assert response.status_code == 200, body
        assert "data" in body
    else:
        assert response.status_code == 403, body
        assert body["error"]["code"] == "forbidden"
        assert "production" in body["error"]["message"]


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_pages_open_only_to_those_who_may_see_the_section(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get("/production/jobs/", {"jobstatus": "failed"})
    if sees(viewer, state):
        assert response.status_code == 200
        assert response.context["section"] == "production"
    elif state == "off":
        assert response.status_code == 404  # no old monitor configured here: nowhere to go
        assert b"off" in response.content
    else:
        assert response.status_code == 403
        assert b"beta" in response.content


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_api_index_lists_only_the_sections_the_user_may_see(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get("/api/")
    assert response.status_code == 200
    listed = {s["name"]: s["state"] for s in orjson.loads(response.content)["data"]}
    assert ("production" in listed) == sees(viewer, state)
    if "production" in listed:
        assert listed["production"] == state


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_navigation_shows_only_the_sections_the_user_may_see(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get("/sites/")  # a page of a public section, with its tabs
    assert response.status_code == 200
    tabs = [s["name"] for s in response.context["sections"]]
    assert ("production" in tabs) == sees(viewer, state)
    html = response.content.decode()
    assert ('data-section="production"' in html) == sees(viewer, state)


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_schema_describes_only_the_sections_the_user_may_see(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get("/api/schema/")
    assert response.status_code == 200
    paths = orjson.loads(response.content)["paths"]
    assert (JOBS in paths) == sees(viewer, state)
    assert all(not p.startswith("/api/production/") for p in paths) or sees(viewer, state)


@pytest.mark.parametrize(("viewer", "state"), MATRIX)
def test_the_landing_page_lists_only_the_sections_the_user_may_see(clients: Clients, production_in: Switch, viewer: str, state: str) -> None:
    production_in(state)
    response = clients[viewer].get("/")
    names = [s["name"] for s in response.context["sections"]]
    assert ("production" in names) == sees(viewer, state)


def test_a_cached_answer_never_reaches_a_viewer_who_may_not_see_the_section(anon_client: Client, staff_client: Client, production_in: Switch) -> None:
    production_in("beta")
    params = {"hours": 6, "limit": 5}
    assert staff_client.get(JOBS, params).status_code == 200
    assert staff_client.get(JOBS, params).status_code == 200  # now in the cache, if cached
    assert anon_client.get(JOBS, params).status_code == 403


def test_staff_only_fields_never_reach_anonymous_users_through_the_cache(anon_client: Client, staff_client: Client) -> None:
    pandaid = orjson.loads(anon_client.get(JOBS, {"hours": 48, "limit": 1}).content)["data"][0]["pandaid"]
    url = f"/api/production/jobs/{pandaid}/"
    staff = orjson.loads(staff_client.get(url).content)["data"]
    anon = orjson.loads(anon_client.get(url).content)["data"]
    assert "produserid" in staff
    assert "produserid" not in anon


def test_switching_a_section_from_beta_to_public_opens_it_to_everyone(anon_client: Client, production_in: Switch) -> None:
    production_in("beta")
    assert anon_client.get(JOBS, {"hours": 1, "limit": 1}).status_code == 403
    production_in("public")
    assert anon_client.get(JOBS, {"hours": 1, "limit": 1}).status_code == 200


def test_a_signed_in_user_outside_the_beta_group_is_treated_like_an_anonymous_one(production_in: Switch) -> None:
    user = User.objects.create_user("outsider", "outsider@example.org", "pw")
    client = Client()
    client.force_login(user)
    production_in("beta")
    assert client.get(JOBS, {"hours": 1, "limit": 1}).status_code == 403
    assert visibility_class(user) == "anonymous"


def test_the_beta_group_is_the_one_the_config_names(beta_user: User, pandjango_config: Callable[[str, Any], None]) -> None:
    assert visibility_class(beta_user) == "beta"
    pandjango_config("sections.beta_group", "another group")
    assert visibility_class(beta_user) == "anonymous"


def test_staff_see_every_section_that_is_not_off(staff_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    for name in SECTIONS:
        pandjango_config(f"sections.{name}.state", "beta")
    pandjango_config("sections.sites.state", "off")
    body = orjson.loads(staff_client.get("/api/").content)
    assert [s["name"] for s in body["data"]] == [n for n in SECTIONS if n != "sites"]
