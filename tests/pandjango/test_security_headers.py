"""Security headers on every kind of answer (pages, the API's successes and errors, static
files, the legacy proxy, /healthz, the admin); a Content-Security-Policy that allows only our
own scripts and styles, which the templates can live with; CSRF on every state-changing form,
and none needed by API clients for the batch status POST."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from pandjango.edge.securityheaders import CONTENT_SECURITY_POLICY
from pandjango.legacy.standin import StandinServer
from pandjango.legacy.views import LEGACY_CSP
from pandjango.urls import urlpatterns as site_urlpatterns
from tests.legacy_helpers import proxy_to

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


def _failure(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError(2003, "Can't connect to server")


handler404 = "pandjango.views.not_found"
handler500 = "pandjango.views.server_error"
urlpatterns = [
    path("api/test-failure/", _failure),
    path("api/test-database-down/", _database_down),
    path("test-failure/", _failure),
    *site_urlpatterns,
]


@pytest.fixture(autouse=True)
def _site_with_failures(settings: Any) -> None:
    """This module's URLs (the site's, plus views that fail); static files from their folders,
    as WhiteNoise serves them in production."""
    settings.ROOT_URLCONF = __name__
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def legacy(old_monitor: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    proxy_to(pandjango_config, old_monitor)


def assert_security_headers(response: Any, csp: str = CONTENT_SECURITY_POLICY) -> None:
    assert response["Content-Security-Policy"] == csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


ANSWERS = [
    pytest.param("/api/sites/clouds/", 200, id="api-200"),
    pytest.param("/api/sites/clouds/?hours=x", 400, id="api-400"),
    pytest.param("/api/meta/queries/", 403, id="api-403"),
    pytest.param("/api/nosuch/", 404, id="api-404"),
    pytest.param("/api/test-failure/", 500, id="api-500"),
    pytest.param("/api/test-database-down/", 503, id="api-503"),
    pytest.param("/api/", 200, id="api-index"),
    pytest.param("/api/schema/", 200, id="api-schema"),
    pytest.param("/production/jobs/", 200, id="page"),
    pytest.param("/", 200, id="landing-page"),
    pytest.param("/nosuch/", 404, id="page-404"),
    pytest.param("/test-failure/", 500, id="page-500"),
    pytest.param("/static/pandjango/core.js", 200, id="static"),
    pytest.param("/static/vendor/jquery/jquery.min.js", 200, id="static-vendor"),
    pytest.param("/healthz", 200, id="healthz"),
    pytest.param("/accounts/login/", 200, id="sign-in"),
    pytest.param("/admin/login/", 200, id="admin"),
]


@pytest.mark.parametrize(("url", "status"), ANSWERS)
def test_every_kind_of_answer_carries_the_security_headers(url: str, status: int) -> None:
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status, response.content[:300]
    assert_security_headers(response)


def test_an_answer_past_the_rate_limit_carries_them_too(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.anon_requests_per_minute", 1)
    anon_client.get("/api/sites/clouds/")
    response = anon_client.get("/api/sites/clouds/")
    assert response.status_code == 429
    assert_security_headers(response)


@pytest.mark.usefixtures("legacy")
@pytest.mark.parametrize(("url", "status"), [("/legacy/query?dash=clouds", 200), ("/legacy/query?dash=broken", 502), ("/legacy/elsewhere", 400)])
def test_legacy_pages_keep_their_own_policy_and_get_the_other_headers(anon_client: Client, url: str, status: int) -> None:
    response = anon_client.get(url)
    assert response.status_code == status
    assert_security_headers(response, csp=LEGACY_CSP)


def test_the_policy_allows_only_our_own_scripts_and_styles_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style_which_the_policy_would_block(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style\b", text), "<style> element"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "event handler attribute"
    assert not re.search(r"=\s*[\"']?\s*javascript:", text, flags=re.I), "javascript: URL"


# ---------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_post_form_carries_a_csrf_token(template: Path) -> None:
    for form in re.findall(r"<form\b[^>]*>.*?</form>", template.read_text(), flags=re.S | re.I):
        if re.search(r"method\s*=\s*[\"']?post", form, flags=re.I):
            assert "{% csrf_token %}" in form, form[:200]


def test_signing_in_without_the_csrf_token_is_refused(staff_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "shifter", "password": "pw"})
    assert response.status_code == 403
    assert b"sent without a valid security token (CSRF)" in response.content  # our page, under our policy
    assert_security_headers(response)
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token is not None
    response = client.post("/accounts/login/", {"username": "shifter", "password": "pw", "csrfmiddlewaretoken": token.group(1).decode()})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff_user.pk)


def test_signing_out_without_the_csrf_token_is_refused(staff_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post("/accounts/logout/").status_code == 403
    assert client.session.get("_auth_user_id") == str(staff_user.pk)


def test_the_admin_refuses_a_change_without_the_csrf_token(db: Any) -> None:
    admin = User.objects.create_superuser("operator", "operator@example.org", "pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post("/admin/auth/group/add/", {"name": "intruders"})
    assert response.status_code == 403


def test_an_api_client_posts_batch_status_as_json_without_a_session_or_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/production/jobs/status/", {"pandaid": [1]}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]


def test_other_methods_on_the_api_change_nothing_and_say_so(staff_client: Client) -> None:
    for method in ("post", "put", "patch", "delete"):
        response = getattr(staff_client, method)("/api/production/jobs/")
        assert response.status_code == 405, (method, response.status_code)
