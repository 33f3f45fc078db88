"""The legacy proxy's sanitising guards (pandjango/legacy/sanitise.py), each held by a test that
fails when the guard is changed (mutation testing, docs/testing.md): what a page's title may
be, where its links, images and forms may point, which forms keep their method."""

from __future__ import annotations

import pytest

from pandjango.legacy.paths import LegacyError, LegacySettings
from pandjango.legacy.sanitise import MAX_DEPTH, page_title, rewrite_url, sanitise

pytestmark = pytest.mark.no_db
BASE = "http://old.example.org:25880/server/pandamon/"
PAGE = BASE + "query?dash=clouds"
CFG = LegacySettings(base_url=BASE, allowed_prefixes=("query", "images"), timeout_seconds=1, max_bytes=1000, cache_lifetime=0, tabs={})


def test_the_title_is_the_pages_first_cut_at_200_characters() -> None:
    assert page_title("<title>" + "x" * 300 + "</title>") == "x" * 200
    assert page_title("<head><title>Clouds</title></head><body><svg><title>plot</title></svg></body>") == "Clouds"
    assert page_title("<b>bold</b><title> Jobs\n of\ttask </title>") == "Jobs of task"
    assert page_title("<p>no title</p>") == ""


def test_the_title_is_the_text_of_the_first_title_element_alone() -> None:
    assert page_title("Jobs <title>Clouds</title> of task") == "Clouds"
    assert page_title("<title>Jobs</b> of<!-- a comment --> task</title>") == "Jobs of task"


def test_the_title_is_looked_for_in_the_pages_first_20000_characters() -> None:
    before = " " * (20000 - len("<title>"))
    assert page_title(before + "<title>late</title>") == ""  # its text starts at character 20,001
    assert page_title(before[1:] + "<title>late</title>") == "l"  # only its first character is read


@pytest.mark.parametrize(
    ("value", "link", "expected"),
    [
        (BASE + "#top", True, "/legacy/#top"),  # the old monitor's root, its fragment kept
        (BASE + "?dash=x", True, None),  # the root with a query: a path the proxy refuses
        ("  query?job=1 ", True, "/legacy/query?job=1"),
        (" #top", True, "#top"),
        ("MAILTO:shifter@example.org", True, "MAILTO:shifter@example.org"),
        ("HTTP://OLD.EXAMPLE.ORG:25880/server/pandamon/query?job=1", True, "/legacy/query?job=1"),
        ("//old.example.org:25880/server/pandamon/images/a.png", False, "/legacy/images/a.png"),
        ("images/a.png", False, "/legacy/images/a.png"),
        ("query?job=1#log", False, "/legacy/query?job=1#log"),
        ("https://old.example.org/server/pandamon/query", True, "https://old.example.org/server/pandamon/query"),
        ("https://old.example.org/server/pandamon/query", False, None),  # another scheme and port: foreign
        ("ftp://old.example.org/x", True, None),
        ("vbscript:msgbox(1)", True, None),
    ],
)
def test_addresses_in_a_page_point_into_the_proxy_or_stay_foreign_links(value: str, link: bool, expected: str | None) -> None:
    assert rewrite_url(value, PAGE, CFG, link=link) == expected


def test_images_and_forms_are_fetched_through_the_proxy_or_lose_their_address() -> None:
    html = (
        '<img src="images/plot.png" alt="p"><img src="https://evil.example.org/track.png" alt="t">'
        '<form action="https://evil.example.org/steal"><input name="q"></form>'
        '<form action="query?dash=jobs"><input name="q"></form>'
        '<a href="https://twiki.cern.ch/x">help</a><a href="admin/config">config</a>'
    )
    _title, clean = sanitise(html, PAGE, CFG)
    assert '<img src="/legacy/images/plot.png" alt="p">' in clean
    assert '<img alt="t">' in clean
    assert '<form><input name="q"></form>' in clean
    assert '<form action="/legacy/query?dash=jobs"><input name="q"></form>' in clean
    assert '<a href="https://twiki.cern.ch/x" rel="noopener noreferrer">help</a>' in clean
    assert '<a rel="noopener noreferrer">config</a>' in clean
    assert "evil" not in clean


def test_a_form_keeps_a_get_method_and_no_other() -> None:
    html = '<form method="get"></form><form method="GET"></form><form method="post"></form><form method="dialog"></form>'
    _title, clean = sanitise(html, PAGE, CFG)
    assert clean == '<form method="get"></form><form method="GET"></form><form></form><form></form>'


def test_only_password_inputs_are_dropped() -> None:
    html = '<form><input type="text" name="user"><input type="hidden" name="pw" value="password"><input type="PASSWORD" name="p"></form>'
    _title, clean = sanitise(html, PAGE, CFG)
    assert clean == '<form><input type="text" name="user"><input type="hidden" name="pw" value="password"></form>'


def test_a_page_exactly_max_depth_deep_is_shown_and_one_deeper_is_refused() -> None:
    assert sanitise("<div>" * MAX_DEPTH + "deep", PAGE, CFG)[1].count("<div>") == MAX_DEPTH
    with pytest.raises(LegacyError) as exc:
        sanitise("<div>" * (MAX_DEPTH + 1) + "deep", PAGE, CFG)
    assert (exc.value.code, exc.value.message) == (
        "legacy_too_complex",
        f"The old monitor's page is nested more than {MAX_DEPTH} elements deep, too deep for the proxy to make it safe to show.",
    )


def test_scripts_styles_and_the_title_go_with_their_text() -> None:
    shown = sanitise("<title>Old title</title><script>alert(1)</script><style>p{}</style><p>kept</p>", PAGE, CFG)[1]
    assert shown == "<p>kept</p>"


def test_a_mailto_link_is_kept_and_no_url_but_links_images_and_forms_is() -> None:
    """nh3 keeps `cite` with any scheme, javascript: included: it is dropped; an image map's
    areas keep no href either, so links, images and forms are the only URLs left."""
    html = '<a href="mailto:shifter@example.org">m</a><blockquote cite="javascript:alert(1)">q</blockquote><map><area href="query"></map>'
    assert sanitise(html, PAGE, CFG)[1] == '<a href="mailto:shifter@example.org" rel="noopener noreferrer">m</a><blockquote>q</blockquote><map><area></map>'


def test_a_mailto_link_is_kept_as_written_even_where_it_is_no_valid_http_url() -> None:
    assert rewrite_url("mailto://shifter:x/", PAGE, CFG, link=True) == "mailto://shifter:x/"
    assert rewrite_url("mailto://shifter:x/", PAGE, CFG, link=False) is None
