"""The legacy proxy's checks and rewriting, without a server; the demo's configuration; the
stand-in old monitor run as a program."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pandjango import config
from pandjango.legacy.paths import LegacyError, LegacySettings, check_base_url, check_path, check_query, proxy_url, relative_path, target_url
from pandjango.legacy.sanitise import MAX_DEPTH, nesting_depth, rewrite_url, sanitise
from pandjango.legacy.standin import StandinServer
from pandjango.legacy.standinpages import front_page

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parents[2]
BASE = "http://old.example.org:25880/server/pandamon/"
PAGE = BASE + "query?dash=clouds"
CFG = LegacySettings(base_url=BASE, allowed_prefixes=("query", "images"), timeout_seconds=1, max_bytes=1000, cache_lifetime=0, tabs={})


@pytest.mark.parametrize("path", ["query", "query/jobs", "images/logo.png", "query/a-b_c.d~e"])
def test_paths_under_the_allowed_prefixes_are_accepted(path: str) -> None:
    assert check_path(path, CFG) == path


PERCENT = "the path must not contain percent-encoded characters"
BACKSLASH = "the path must not contain a backslash"
DOTDOT = "the path must not contain '..'"
SLASHES = "the path must not contain '//' or start with '/'"
AT = "the path must not contain '@'"
CHARACTERS = "the path contains characters the old monitor's paths never have"
DOT_SEGMENT = "the path must not contain '.' segments"


def _not_under(path: str, prefixes: str = "query, images") -> str:
    return f"the path {path!r} is not under the old monitor's allowed prefixes ({prefixes})"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../x", DOTDOT),
        ("query/..", DOTDOT),
        ("query//x", SLASHES),
        ("/query", SLASHES),
        ("query@evil", AT),
        ("query\\x", BACKSLASH),
        ("query%2e%2e", PERCENT),
        ("query/./x", DOT_SEGMENT),
        ("query x", CHARACTERS),
        ("query:x", CHARACTERS),
        ("query\x7f", CHARACTERS),
        ("queryx", _not_under("queryx")),
        ("", _not_under("")),
        ("admin", _not_under("admin")),
    ],
)
def test_paths_that_could_leave_the_old_monitor_are_refused(path: str, message: str) -> None:
    """Each refusal says, word for word, what is wrong: the message is the 400's text."""
    with pytest.raises(LegacyError) as exc:
        check_path(path, CFG)
    assert (exc.value.status, exc.value.code, exc.value.message) == (400, "bad_request", message)


def test_a_path_refused_with_no_allowed_prefix_says_none() -> None:
    closed = LegacySettings(base_url=BASE, allowed_prefixes=(), timeout_seconds=1, max_bytes=1000, cache_lifetime=0, tabs={})
    with pytest.raises(LegacyError) as exc:
        check_path("query", closed)
    assert exc.value.message == _not_under("query", "none")


def test_a_query_of_max_query_string_characters_passes_and_one_more_is_refused(pandjango_config: Any) -> None:
    """The proxy's own length check (the middleware's 414 comes first on a request; this one
    guards every other caller of target_url)."""
    pandjango_config("limits.max_query_string", 20)
    assert check_query("a=" + "x" * 18) == "a=" + "x" * 18
    with pytest.raises(LegacyError) as exc:
        check_query("a=" + "x" * 19)
    assert (exc.value.status, exc.value.message) == (400, "the query string is too long")


@pytest.mark.parametrize("query", ["a=%0a", "a=\x01", "a=%7F"])
def test_a_query_with_control_characters_is_refused(query: str) -> None:
    with pytest.raises(LegacyError) as exc:
        check_query(query)
    assert (exc.value.status, exc.value.message) == (400, "the query must not contain control characters")


def test_the_target_keeps_the_configured_host_and_the_query() -> None:
    url = target_url(CFG, "query", "dash=clouds&x=http://evil.example.org/")
    assert (url.scheme, url.host, url.port) == ("http", "old.example.org", 25880)
    assert url.raw_path == b"/server/pandamon/query?dash=clouds&x=http://evil.example.org/"


def test_a_target_without_a_query_has_no_question_mark() -> None:
    assert bytes(target_url(CFG, "query", "").raw_path) == b"/server/pandamon/query"


def test_the_path_under_the_base_ends_at_the_first_question_mark() -> None:
    assert relative_path(CFG, httpx.URL(BASE + "query/jobs?a=1?b=2")) == "query/jobs"
    assert relative_path(CFG, httpx.URL(BASE + "query/a%20b")) == "query/a b"
    assert relative_path(CFG, httpx.URL("http://old.example.org:25880/server/other/query")) is None


def test_our_url_for_an_old_page_keeps_the_characters_its_paths_use() -> None:
    assert proxy_url("query/a+b,c;d=e!$'()*&~f") == "/legacy/query/a+b,c;d=e!$'()*&~f"
    assert proxy_url("query/a b#c") == "/legacy/query/a%20b%23c"
    assert proxy_url("query") == "/legacy/query"
    assert proxy_url("query", "a=1", "top") == "/legacy/query?a=1#top"


@pytest.mark.parametrize(
    ("value", "link", "expected"),
    [
        ("query?dash=prod", True, "/legacy/query?dash=prod"),
        ("/server/pandamon/query?job=1", True, "/legacy/query?job=1"),
        (BASE + "query?job=1#log", True, "/legacy/query?job=1#log"),
        (BASE, True, "/legacy/"),
        ("#top", True, "#top"),
        ("admin/config", True, None),
        ("/server/other/query", True, "http://old.example.org:25880/server/other/query"),
        ("https://twiki.cern.ch/x", True, "https://twiki.cern.ch/x"),
        ("https://twiki.cern.ch/x.png", False, None),
        ("//evil.example.org/query", False, None),
        ("http://old.example.org:25881/server/pandamon/query", False, None),
        ("javascript:alert(1)", True, None),
        (" JaVaScRiPt:alert(1)", True, None),
        ("data:text/html,x", True, None),
        ("mailto:shifter@example.org", True, "mailto:shifter@example.org"),
        ("mailto:shifter@example.org", False, None),
    ],
)
def test_urls_in_the_old_monitors_pages_are_rewritten(value: str, link: bool, expected: str | None) -> None:
    assert rewrite_url(value, PAGE, CFG, link=link) == expected


def test_sanitising_keeps_tables_and_forms_and_drops_the_rest() -> None:
    html = """<html><head><title> Clouds  &amp; sites </title><script>x()</script><style>p{}</style></head>
    <body onload="x()"><table border="1"><tr><td onclick="y()">CA</td></tr></table>
    <form action="query" method="POST" onsubmit="z()"><input name="job" onfocus="w()"><select name="s"><option value="1" selected>1</option></select></form>
    <a href="JAVASCRIPT:x()" onmouseover="v()">j</a><svg onload="u()"></svg><object data="x.swf"></object></body></html>"""
    title, clean = sanitise(html, PAGE, CFG)
    assert title == "Clouds & sites"
    assert "<td>CA</td>" in clean
    assert '<form action="/legacy/query"><input name="job"><select name="s"><option value="1" selected="">1</option></select></form>' in clean
    for bad in ("<script", "x()", "<style", "onload", "onclick", "onsubmit", "onfocus", "onmouseover", "javascript", "<svg", "<object", "x.swf", "method"):
        assert bad not in clean.lower(), bad


def test_sanitising_drops_password_fields_whatever_their_spelling() -> None:
    html = """<form><input name="user"><INPUT TYPE=PassWord name=pw value='a>b'><input type=" password " name=p2></form>"""
    _title, clean = sanitise(html, PAGE, CFG)
    assert clean == '<form><input name="user"></form>'


def test_sanitising_past_the_deadline_is_a_502() -> None:
    with pytest.raises(LegacyError) as exc:
        sanitise("<p>late</p>", PAGE, CFG, deadline=time.monotonic() - 1)
    assert (exc.value.status, exc.value.code) == (502, "legacy_too_complex")
    assert exc.value.message == "The old monitor's page could not be made safe to show within the 1 seconds the proxy allows."


@pytest.mark.parametrize(
    ("html", "depth"),
    [
        ("<div>x</div>" * 1000, 1),
        ("<table>" + "<tr><td><font size=2>x<td><b>y</td>" * 1000 + "</table>", 4),  # cells close what they hold
        ("<ul>" + "<li><p>x<p>y" * 1000 + "</ul>", 3),
        ("<dl>" + "<dt>a<dd>b" * 1000 + "</dl>", 2),
        ("<select>" + "<option>x" * 1000 + "</select>", 2),
        ("<script>" + "<div>" * 1000 + "</script>", 1),  # text, not markup
        ("<!-- " + "<div>" * 1000 + " -->", 0),
    ],
)
def test_the_depth_of_untidy_but_shallow_pages_is_counted_low(html: str, depth: int) -> None:
    assert nesting_depth(html, MAX_DEPTH) == depth


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 600,
        "<x><div></x>" * 600,  # an end tag does not cross a block
        '<div title="</div>">' * 600,  # nor is one inside an attribute
        "<div><!--</div>-->" * 600,  # nor inside a comment
        "<div><!x </div>" * 600,  # nor inside a bogus comment
        "<!-->" + "<div>" * 600,  # an empty comment ends at once
        "<table><tr><td><svg><td><style>" + "<div>" * 600 + "</style>",  # nor in svg
        "<a><div>" * 600,
        '<div a= = "x><div>">' * 600,
    ],
)
def test_the_depth_of_deep_pages_is_found_whatever_hides_it(html: str) -> None:
    assert nesting_depth(html, MAX_DEPTH) > MAX_DEPTH


def test_the_stand_ins_front_page_is_shallow() -> None:
    server = StandinServer(("127.0.0.1", 0))
    try:
        assert nesting_depth(front_page(server), MAX_DEPTH) < 10
    finally:
        server.server_close()


NOT_HTTP = "must be an http:// or https:// URL with a host"
NOT_PLAIN = "must not carry a user, a query or a fragment"


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://old.example.org:25880/server/pandamon/", None),
        ("https://old.example.org/pandamon/", None),
        ("file:///etc/", NOT_HTTP),
        ("ftp://old.example.org/", NOT_HTTP),
        ("http:///pandamon/", NOT_HTTP),
        ("http://user:pw@old.example.org/", NOT_PLAIN),
        ("http://old.example.org/?x=1", NOT_PLAIN),
        ("http://old.example.org/#top", NOT_PLAIN),
    ],
)
def test_a_base_url_must_be_plain_http_or_https(base_url: str, problem: str | None) -> None:
    assert check_base_url(base_url) == problem


def test_the_demo_configuration_has_legacy_tabs_the_proxy_accepts() -> None:
    cfg = config.load(ROOT / "config" / "pandjango.toml")
    legacy = cfg["legacy"]
    assert legacy["base_url"] and check_base_url(legacy["base_url"]) is None
    assert legacy["tabs"]
    demo = LegacySettings(legacy["base_url"], tuple(legacy["allowed_prefixes"]), 1, 1, 0, legacy["tabs"])
    for target in legacy["tabs"].values():
        path, _, query = target.partition("?")
        check_path(path, demo)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_stand_in_runs_as_a_program_as_the_demo_starts_it() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pandjango.legacy.standin", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"stand-in old monitor at http://127.0.0.1:{port}/server/pandamon/"
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/server/pandamon/query?dash=clouds", timeout=2)
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 200 and "<title>Clouds</title>" in response.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
