"""API tokens for external dashboards and pipelines: `manage.py apitoken create|list|revoke`
and the admin make them; `Authorization: Token <key>` gives a client what its user sees."""

from __future__ import annotations

from io import StringIO
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token


def apitoken(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def with_token(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


@pytest.fixture
def plain_user(db: Any) -> User:
    return User.objects.create_user("dashboard", "dashboard@example.org", "pw")


# ---------------------------------------------------------------------------- the command


def test_create_prints_only_the_token_which_then_authenticates(staff_user: User) -> None:
    out, err = apitoken("create", staff_user.username)
    key = out.strip()
    assert key == Token.objects.get(user=staff_user).key and len(key) == 40
    assert "Authorization: Token" in err and "staff view" in err
    assert with_token(key).get("/api/meta/queries/").status_code == 200


def test_create_refuses_a_second_token_unless_replace_which_revokes_the_old_one(plain_user: User) -> None:
    old = apitoken("create", "dashboard")[0].strip()
    with pytest.raises(CommandError, match="already has a token.*--replace"):
        apitoken("create", "dashboard")
    new = apitoken("create", "dashboard", "--replace")[0].strip()
    assert new != old
    assert with_token(old).get("/api/sites/clouds/").status_code == 401
    assert with_token(new).get("/api/sites/clouds/").status_code == 200


def test_create_needs_an_existing_user_or_new_user(db: Any) -> None:
    with pytest.raises(CommandError, match="no user 'pipeline' \\(--new-user creates one\\)"):
        apitoken("create", "pipeline")
    key = apitoken("create", "pipeline", "--new-user")[0].strip()
    user = User.objects.get(username="pipeline")
    assert not user.has_usable_password() and not user.is_staff
    assert with_token(key).get("/api/production/jobs/status/", {"pandaid": "1"}).status_code == 200


def test_list_shows_who_has_a_token_and_what_they_see_but_never_the_keys(staff_user: User, beta_user: User, plain_user: User) -> None:
    keys = [apitoken("create", u.username)[0].strip() for u in (staff_user, beta_user, plain_user)]
    out = apitoken("list")[0]
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["dashboard", "public"], ["shifter", "staff"], ["tester", "beta"]]
    assert not any(key in out for key in keys)


def test_revoke_deletes_the_token(plain_user: User) -> None:
    key = apitoken("create", "dashboard")[0].strip()
    assert apitoken("revoke", "dashboard")[0].strip() == "revoked the token of dashboard"
    assert with_token(key).get("/api/sites/clouds/").status_code == 401
    with pytest.raises(CommandError, match="dashboard has no token"):
        apitoken("revoke", "dashboard")


# ---------------------------------------------------------------------------- what a token sees


def test_a_token_sees_what_its_user_sees(staff_user: User, beta_user: User, plain_user: User, pandjango_config: Any) -> None:
    pandjango_config("sections.stats.state", "beta")
    staff, beta, plain = (with_token(Token.objects.create(user=u).key) for u in (staff_user, beta_user, plain_user))
    assert [c.get("/api/stats/sites/").status_code for c in (staff, beta, plain, Client())] == [200, 200, 403, 403]
    assert [c.get("/api/meta/queries/").status_code for c in (staff, beta, plain)] == [200, 403, 403]
    names = [s["name"] for s in orjson.loads(beta.get("/api/").content)["data"]]
    assert "stats" in names


def test_a_staff_token_clients_answers_are_cached_privately(staff_user: User) -> None:
    response = with_token(Token.objects.create(user=staff_user).key).get("/api/sites/clouds/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")


@pytest.mark.parametrize("path", ["/api/sites/clouds/", "/api/"])
def test_a_wrong_token_is_a_401_json_that_says_how_to_authenticate(db: Any, path: str) -> None:
    response = with_token("0" * 40).get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    error = orjson.loads(response.content)["error"]
    assert (error["status"], error["code"]) == (401, "not_authenticated")


def test_a_pipeline_posts_batch_status_with_its_token_and_no_session_or_csrf(plain_user: User) -> None:
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {Token.objects.create(user=plain_user).key}"})
    response = client.post("/api/production/jobs/status/", {"pandaid": [1, 2]}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert orjson.loads(response.content)["meta"]["missing"] == [1, 2]


# ---------------------------------------------------------------------------- the admin


def test_staff_create_tokens_in_the_admin(plain_user: User) -> None:
    admin = User.objects.create_superuser("operator", "operator@example.org", "pw")
    client = Client()
    client.force_login(admin)
    assert b"/admin/authtoken/tokenproxy/" in client.get("/admin/").content
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": plain_user.pk})
    assert response.status_code == 302, response.content[:500]
    key = Token.objects.get(user=plain_user).key
    assert with_token(key).get("/api/sites/clouds/").status_code == 200
    assert key.encode() in client.get("/admin/authtoken/tokenproxy/").content
