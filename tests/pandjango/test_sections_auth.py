"""Sign-in, sign-out and the admin for users and groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client


def test_the_sign_in_page_signs_a_user_in_and_back_to_the_landing_page(anon_client: Client) -> None:
    User.objects.create_user("alice", "alice@example.org", "a-long-password")
    page = anon_client.get("/accounts/login/")
    assert page.status_code == 200 and b'name="username"' in page.content
    response = anon_client.post("/accounts/login/", {"username": "alice", "password": "a-long-password"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert anon_client.get("/").context["user"].username == "alice"


def test_a_wrong_password_is_said_plainly(anon_client: Client) -> None:
    User.objects.create_user("alice", "alice@example.org", "a-long-password")
    response = anon_client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_signing_in_opens_the_beta_sections_to_a_beta_tester(anon_client: Client, beta_user: User, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.stats.state", "beta")
    assert "stats" not in [s["name"] for s in anon_client.get("/api/").json()["data"]]
    anon_client.post("/accounts/login/", {"username": "tester", "password": "pw"})
    assert "stats" in [s["name"] for s in anon_client.get("/api/").json()["data"]]


def test_the_sign_out_page_asks_then_signs_out_on_post(beta_client: Client) -> None:
    page = beta_client.get("/accounts/logout/")
    assert page.status_code == 200 and b"Sign out" in page.content and b"tester" in page.content
    response = beta_client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not beta_client.get("/").context["user"].is_authenticated


def test_the_admin_manages_users_and_the_beta_group() -> None:
    admin = User.objects.create_superuser("root", "root@example.org", "pw")
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200
    response = client.post("/admin/auth/group/add/", {"name": "beta testers", "permissions": []})
    assert response.status_code == 302
    assert Group.objects.filter(name="beta testers").exists()


def test_the_admin_is_closed_to_users_who_are_not_staff(beta_client: Client) -> None:
    response = beta_client.get("/admin/auth/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
