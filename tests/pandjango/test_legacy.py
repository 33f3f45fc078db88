"""/legacy/: the proxy to the old monitor, against a real HTTP server started here (the
stand-in old monitor of pandjango/legacy/standin.py, on a free loopback port)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.test import Client

from pandjango.legacy.standin import StandinServer
from tests.legacy_helpers import proxy_to, running_standin

SLOW_SECONDS = 2.0
# The proxy's deadline in the tests of a timeout; the others get GENEROUS, so that a busy
# machine (or mutation testing's slower calls) does not turn a page's sanitising into a 502.
TIMEOUT = 0.5
GENEROUS = 30
DRIP_SECONDS = 0.1  # well under TIMEOUT: no single read ever times out
MAX_BYTES = 200_000
# How far past legacy.timeout_seconds an answer may come, on a busy machine.
MARGIN = 3.0


@pytest.fixture(scope="module")
def old_monitor() -> Iterator[StandinServer]:
    with running_standin(slow_seconds=SLOW_SECONDS, big_bytes=MAX_BYTES * 2, drip_seconds=DRIP_SECONDS) as server:
        yield server


@pytest.fixture
def legacy(old_monitor: StandinServer, pandjango_config: Callable[[str, Any], None]) -> StandinServer:
    """The proxy pointed at the stand-in, with two tabs; its request log emptied."""
    proxy_to(
        pandjango_config, old_monitor,
        timeout_seconds=GENEROUS, max_bytes=MAX_BYTES, cache_lifetime=60, tabs={"Clouds": "query?dash=clouds", "Stats": "query?dash=stats"},
    )
    old_monitor.requests.clear()
    return old_monitor


def content_of(response: Any) -> str:
    """The old monitor's part of our page, as sanitised."""
    assert response.context is not None and response.context["page"] is not None
    return str(response.context["page"].body)


def json_error(client: Client, url: str, status: int) -> dict[str, Any]:
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return dict(orjson.loads(response.content)["error"])


# ---------------------------------------------------------------------------- pages in our frame


def test_it_shows_the_old_monitors_page_inside_our_frame(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?dash=clouds")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pj-tabs"' in html and 'class="pj-legacy-content"' in html  # our frame around it
    assert "<th>Cloud</th>" in content_of(response) and "<td>CERN</td>" not in html  # CERN is a link
    assert '<a href="/legacy/query?dash=clouds&amp;cloud=CERN"' in content_of(response)
    assert response.context["page"].title == "Clouds"
    assert "<title>Clouds · PanDA monitor</title>" in html


def test_its_tabs_are_shown_under_ours(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?dash=clouds")
    assert {"name": "Clouds", "url": "/legacy/query?dash=clouds"} in response.context["legacy_tabs"]
    assert 'data-url="/legacy/query?dash=clouds"' in response.content.decode()


def test_a_legacy_tab_named_like_a_section_is_replaced_by_the_section_for_those_who_see_it(
    anon_client: Client, beta_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]
) -> None:
    # stats in beta: beta testers get the new section, everyone else the old monitor's tab.
    pandjango_config("sections.stats.state", "beta")
    assert "Stats" in [t["name"] for t in anon_client.get("/sites/").context["legacy_tabs"]]
    assert "Stats" not in [t["name"] for t in beta_client.get("/sites/").context["legacy_tabs"]]


def test_a_section_that_is_off_goes_to_its_legacy_tab(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.stats.state", "off")
    response = anon_client.get("/stats/")
    assert response.status_code == 302
    assert response["Location"] == "/legacy/query?dash=stats"


def test_links_into_the_old_monitor_go_through_the_proxy(anon_client: Client, legacy: StandinServer) -> None:
    body = content_of(anon_client.get("/legacy/query"))
    assert '<a href="/legacy/query?dash=prod"' in body  # relative
    assert '<a href="/legacy/query?dash=clouds"' in body  # root-relative (/server/pandamon/query?...)
    assert '<a href="/legacy/query"' in body  # absolute http://host:port/server/pandamon/query
    assert '<a href="/legacy/query?job=*&amp;jobStatus=running"' in body
    assert legacy.base_url not in body  # no link leaves Pandjango for the old monitor


def test_links_the_proxy_would_refuse_lose_their_address_but_keep_their_text(anon_client: Client, legacy: StandinServer) -> None:
    body = content_of(anon_client.get("/legacy/query"))
    assert "admin/config" not in body
    assert "Server configuration" in body


def test_links_to_other_sites_stay_as_they_are(anon_client: Client, legacy: StandinServer) -> None:
    body = content_of(anon_client.get("/legacy/query"))
    assert '<a href="https://twiki.cern.ch/twiki/bin/view/PanDA/PandaMonitor" rel="noopener noreferrer">' in body


def test_forms_submit_to_the_proxy_with_get(anon_client: Client, legacy: StandinServer) -> None:
    body = content_of(anon_client.get("/legacy/query"))
    assert '<form action="/legacy/query" method="get">' in body
    assert '<form action="/legacy/query?mode=login">' in body  # its method="post" is gone: a GET
    assert 'name="job"' in body


def test_scripts_handlers_and_javascript_urls_are_gone(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query")
    body = content_of(response)
    for bad in ("<script", "onclick", "onload", "onerror", "javascript:", "<iframe", "<style", "http-equiv", "evil.example.org"):
        assert bad not in body.lower(), bad
    html = response.content.decode()
    for bad in ("startClock", "document.title", "tracker.js", "onclick=", "javascript:alert"):
        assert bad not in html, bad
    assert "Click for help" in body  # the link's text stays
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_password_fields_are_dropped_so_that_no_password_ends_up_in_a_url(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?mode=signin")
    assert response.status_code == 200
    body = content_of(response)
    assert '<form action="/legacy/query?mode=login">' in body  # a GET form now: nothing secret may stay in it
    assert '<input type="text" name="user">' in body
    for gone in ('type="password"', 'name="passwd"', 'name="pin"', "1234"):
        assert gone not in body.lower(), gone


def test_images_of_the_old_monitor_are_passed_through(anon_client: Client, legacy: StandinServer) -> None:
    assert '<img src="/legacy/query?plot=jobs" alt="jobs plot">' in content_of(anon_client.get("/legacy/query"))
    response = anon_client.get("/legacy/query?plot=jobs")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_the_legacy_index_lists_the_tabs(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/")
    assert response.status_code == 200
    assert '<a href="/legacy/query?dash=clouds">Clouds</a>' in response.content.decode()
    assert legacy.requests == []


def test_head_is_answered_and_other_methods_are_not(anon_client: Client, legacy: StandinServer) -> None:
    assert anon_client.head("/legacy/query?dash=clouds").status_code == 200
    response = anon_client.post("/legacy/query?dash=clouds", {"job": "1"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert all(r["method"] == "GET" for r in legacy.requests)


# ---------------------------------------------------------------------------- what is forwarded


def test_the_users_cookies_and_credentials_never_reach_the_old_monitor(staff_client: Client, legacy: StandinServer) -> None:
    staff_client.cookies["csrftoken"] = "secret-csrf"
    response = staff_client.get(
        "/legacy/query?dash=prod",
        headers={
            "Authorization": "Bearer secret-token",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Host": "evil.example.org",
            "Connection": "keep-alive, X-Secret",
            "X-Secret": "hop",
            "TE": "trailers",
            "Upgrade": "websocket",
            "Accept-Language": "fr",
        },
    )
    assert response.status_code == 200
    (seen,) = legacy.requests
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    for never in ("cookie", "authorization", "proxy-authorization", "x-secret", "te", "upgrade"):
        assert never not in headers, never
    assert "secret" not in str(headers)
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == "testserver"
    assert headers["accept-language"] == "fr"
    assert headers["host"] == f"127.0.0.1:{legacy.server_address[1]}"


def test_the_old_monitors_cookies_never_reach_the_user(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query")
    assert "pandamon_session" not in response.cookies
    assert not response.has_header("Set-Cookie") or "pandamon" not in response["Set-Cookie"]


def test_pages_are_cached_per_class_of_viewer(anon_client: Client, beta_client: Client, legacy: StandinServer) -> None:
    assert anon_client.get("/legacy/query?dash=prod")["X-Cache"] == "MISS"
    assert anon_client.get("/legacy/query?dash=prod")["X-Cache"] == "HIT"
    assert len(legacy.requests) == 1
    assert beta_client.get("/legacy/query?dash=prod")["X-Cache"] == "MISS"
    assert len(legacy.requests) == 2


def test_a_cache_lifetime_of_zero_fetches_every_time(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.cache_lifetime", 0)
    anon_client.get("/legacy/query?dash=prod")
    anon_client.get("/legacy/query?dash=prod")
    assert len(legacy.requests) == 2


def test_a_cache_that_is_down_does_not_stop_the_proxy(anon_client: Client, legacy: StandinServer, monkeypatch: pytest.MonkeyPatch) -> None:
    class DownCache:
        def get(self, *args: Any) -> Any:
            raise ConnectionError("memcached is down")

        set = get

    monkeypatch.setattr("pandjango.legacy.fetch.cache", DownCache())
    response = anon_client.get("/legacy/query?dash=prod")
    assert response.status_code == 200 and response["X-Cache"] == "MISS"


# ---------------------------------------------------------------------------- refused paths

REFUSED = [
    "/legacy/../etc/passwd",
    "/legacy/query/../admin/config",
    "/legacy/%2e%2e/admin/config",
    "/legacy/%2E%2E%2Fadmin/config",
    "/legacy/%252e%252e/admin/config",
    "/legacy/query%2F..%2Fadmin",
    "/legacy//evil.example.org/query",
    "/legacy/query//admin",
    "/legacy/%2f%2fevil.example.org/query",
    "/legacy/@evil.example.org/query",
    "/legacy/query@evil.example.org",
    "/legacy/%40evil.example.org/query",
    "/legacy/query\\..\\admin",
    "/legacy/query%5c..%5cadmin",
    "/legacy/query%255c..%255cadmin",
    "/legacy/http://evil.example.org/query",
    "/legacy/admin/config",
    "/legacy/queryx",
    "/legacy/./query",
    "/legacy/query%00",
    "/legacy/query%0d%0aX-Injected:%201",
]


@pytest.mark.parametrize("url", REFUSED)
def test_paths_outside_the_allowed_prefixes_or_tricking_the_url_are_refused(anon_client: Client, legacy: StandinServer, url: str) -> None:
    response = anon_client.get(url)
    assert response.status_code == 400, (url, response.content[:300])
    assert legacy.requests == []  # nothing was sent to the old monitor
    error = json_error(anon_client, url, 400)
    assert error["code"] == "bad_request" and error["message"]


def test_the_host_cannot_be_changed_by_the_request(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?dash=prod", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    (seen,) = legacy.requests
    assert seen["path"] == "/server/pandamon/query?dash=prod"


# ---------------------------------------------------------------------------- redirects


def test_a_redirect_within_the_old_monitor_is_followed(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?dash=old-clouds")
    assert response.status_code == 200
    assert response.context["page"].title == "Clouds"
    assert [r["path"] for r in legacy.requests] == ["/server/pandamon/query?dash=old-clouds", "/server/pandamon/query?dash=clouds"]


@pytest.mark.parametrize("dash", ["away", "upstairs"])
def test_a_redirect_out_of_the_old_monitor_is_not_followed(anon_client: Client, legacy: StandinServer, dash: str) -> None:
    response = anon_client.get(f"/legacy/query?dash={dash}")
    assert response.status_code == 502
    assert b"redirected" in response.content
    assert len(legacy.requests) == 1
    assert json_error(anon_client, f"/legacy/query?dash={dash}", 502)["code"] == "legacy_redirect_refused"


def test_a_redirect_loop_ends(anon_client: Client, legacy: StandinServer) -> None:
    error = json_error(anon_client, "/legacy/query?dash=loop", 502)
    assert error["code"] == "legacy_redirect_refused" and "more than" in error["message"]


# ---------------------------------------------------------------------------- failures


def test_a_5xx_of_the_old_monitor_is_reported_with_its_status(anon_client: Client, legacy: StandinServer) -> None:
    response = anon_client.get("/legacy/query?dash=broken")
    assert response.status_code == 502
    html = response.content.decode()
    assert "The old monitor answered 500 Internal Server Error." in html
    assert "Traceback" not in html
    assert 'id="pj-tabs"' in html  # still inside our frame, with the tabs
    error = json_error(anon_client, "/legacy/query?dash=broken", 502)
    assert error == {"status": 502, "code": "legacy_error", "message": "The old monitor answered 500 Internal Server Error.", "upstream_status": 500}


def test_a_missing_page_of_the_old_monitor_is_a_404(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.allowed_prefixes", ["query", "gone"])
    error = json_error(anon_client, "/legacy/gone", 404)
    assert error["upstream_status"] == 404


def test_a_slow_old_monitor_is_reported_as_a_timeout(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.timeout_seconds", TIMEOUT)
    response = anon_client.get("/legacy/query?dash=slow")
    assert response.status_code == 504
    assert f"did not answer within {TIMEOUT:g} seconds" in response.content.decode()
    assert response["Retry-After"] == "30"
    assert json_error(anon_client, "/legacy/query?dash=slow", 504)["code"] == "legacy_timeout"


@pytest.mark.parametrize("dash", ["drip-headers", "drip-body"])
def test_an_old_monitor_that_drips_its_answer_is_a_504_by_the_timeout(
    anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None], dash: str
) -> None:
    # One byte every DRIP_SECONDS: each read is quick, the answer would take seconds.
    pandjango_config("legacy.timeout_seconds", TIMEOUT)
    started = time.monotonic()
    response = anon_client.get(f"/legacy/query?dash={dash}")
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert TIMEOUT <= elapsed < TIMEOUT + MARGIN, elapsed
    assert f"did not answer within {TIMEOUT:g} seconds" in response.content.decode()
    assert 'id="pj-tabs"' in response.content.decode()
    started = time.monotonic()
    assert json_error(anon_client, f"/legacy/query?dash={dash}", 504)["code"] == "legacy_timeout"
    assert time.monotonic() - started < TIMEOUT + MARGIN


def test_a_page_nested_too_deep_to_sanitise_is_a_502_at_once(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.max_bytes", 2_000_000)
    pandjango_config("legacy.timeout_seconds", 10)
    started = time.monotonic()
    response = anon_client.get("/legacy/query?dash=deep")  # 1.1 MB, 100,000 deep: nh3 took 50 s
    assert time.monotonic() - started < MARGIN
    assert response.status_code == 502
    html = response.content.decode()
    assert "nested more than 512 elements deep" in html and 'id="pj-tabs"' in html
    error = json_error(anon_client, "/legacy/query?dash=deep", 502)
    assert error["code"] == "legacy_too_complex"


@pytest.mark.parametrize("dash", ["big", "big-unsized"])
def test_an_oversized_page_is_refused(anon_client: Client, legacy: StandinServer, dash: str) -> None:
    response = anon_client.get(f"/legacy/query?dash={dash}")
    assert response.status_code == 502
    assert f"larger than the {MAX_BYTES} bytes" in response.content.decode()
    assert json_error(anon_client, f"/legacy/query?dash={dash}", 502)["code"] == "legacy_too_large"


def test_an_old_monitor_that_is_down_is_reported(anon_client: Client, legacy: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pandjango_config("legacy.base_url", f"http://127.0.0.1:{port}/server/pandamon/")
    response = anon_client.get("/legacy/query?dash=clouds")
    assert response.status_code == 502
    assert f"The old monitor at 127.0.0.1:{port} is down or unreachable (connection refused)." in response.content.decode()
    assert json_error(anon_client, "/legacy/query?dash=clouds", 502)["code"] == "legacy_unavailable"


def test_failures_are_not_cached(anon_client: Client, legacy: StandinServer) -> None:
    anon_client.get("/legacy/query?dash=broken")
    anon_client.get("/legacy/query?dash=broken")
    assert len(legacy.requests) == 2


def test_without_a_base_url_the_legacy_tabs_are_hidden_and_legacy_answers_404(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.base_url", "")
    pandjango_config("legacy.tabs", {"Clouds": "query?dash=clouds"})
    assert anon_client.get("/sites/").context["legacy_tabs"] == []
    response = anon_client.get("/legacy/query?dash=clouds")
    assert response.status_code == 404
    assert "No old monitor is configured here" in response.content.decode()
    assert json_error(anon_client, "/legacy/query?dash=clouds", 404)["code"] == "legacy_not_configured"


def test_a_base_url_that_is_not_http_is_reported_as_a_configuration_problem(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.base_url", "file:///etc/")
    error = json_error(anon_client, "/legacy/query", 503)
    assert error["code"] == "legacy_misconfigured" and "legacy.base_url" in error["message"]
