"""The legacy proxy's fetching guards (pandjango/legacy/fetch.py), each held by a test that
fails when the guard is changed (mutation testing, docs/testing.md): the byte cap, with and
without a declared length, and the redirects it refuses, with what it says."""

from __future__ import annotations

import time

import httpx
import pytest

from pandjango.legacy.fetch import _read_capped, _redirect_target
from pandjango.legacy.paths import LegacyError, LegacySettings

pytestmark = pytest.mark.no_db
BASE = "http://old.example.org:25880/server/pandamon/"
CFG = LegacySettings(base_url=BASE, allowed_prefixes=("query", "images"), timeout_seconds=1, max_bytes=100, cache_lifetime=0, tabs={})
TOO_LARGE = "The old monitor's page is larger than the 100 bytes the proxy accepts."


def _response(body: bytes, declared: int | None = None, status: int = 200) -> httpx.Response:
    headers = {} if declared is None else {"Content-Length": str(declared)}
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def _later() -> float:
    return time.monotonic() + 60


def test_a_body_of_exactly_max_bytes_is_read_whole() -> None:
    assert _read_capped(CFG, _response(b"x" * 100), _later()) == b"x" * 100
    assert _read_capped(CFG, _response(b"x" * 100, declared=100), _later()) == b"x" * 100


def test_one_byte_more_than_max_bytes_is_refused_with_the_upstream_status() -> None:
    with pytest.raises(LegacyError) as exc:
        _read_capped(CFG, _response(b"x" * 101, status=203), _later())
    assert (exc.value.status, exc.value.code, exc.value.message, exc.value.upstream_status) == (502, "legacy_too_large", TOO_LARGE, 203)


def test_a_declared_length_past_max_bytes_is_refused_before_the_body_is_read() -> None:
    """The body here is short: only the declared Content-Length can refuse it."""
    with pytest.raises(LegacyError) as exc:
        _read_capped(CFG, _response(b"x", declared=101), _later())
    assert (exc.value.code, exc.value.upstream_status) == ("legacy_too_large", 200)


def test_a_body_still_arriving_past_the_deadline_is_a_timeout() -> None:
    with pytest.raises(LegacyError) as exc:
        _read_capped(CFG, _response(b"x" * 10), time.monotonic() - 1)
    assert (exc.value.status, exc.value.code) == (504, "legacy_timeout")
    assert exc.value.message == "The old monitor at old.example.org:25880 did not answer within 1 seconds."


OUTSIDE = "The old monitor redirected outside itself; the proxy does not follow."


@pytest.mark.parametrize(
    "location",
    ["http://evil.example.org:25880/server/pandamon/query", "https://old.example.org:25880/server/pandamon/query", "/elsewhere/query", "http://a:b/"],
)
def test_a_redirect_outside_the_old_monitor_is_refused(location: str) -> None:
    with pytest.raises(LegacyError) as exc:
        _redirect_target(CFG, httpx.URL(BASE + "query"), location)
    assert (exc.value.status, exc.value.code, exc.value.message) == (502, "legacy_redirect_refused", OUTSIDE)


def test_a_redirect_to_a_path_the_proxy_refuses_says_why() -> None:
    with pytest.raises(LegacyError) as exc:
        _redirect_target(CFG, httpx.URL(BASE + "query"), "admin/config")
    refusal = "the path 'admin/config' is not under the old monitor's allowed prefixes (query, images)"
    assert (exc.value.status, exc.value.code, exc.value.message) == (
        502,
        "legacy_redirect_refused",
        f"The old monitor redirected to a path the proxy refuses: {refusal}.",
    )


def test_a_redirect_within_the_old_monitor_is_followed() -> None:
    target = _redirect_target(CFG, httpx.URL(BASE + "query?dash=clouds"), " images/logo.png ")
    assert str(target) == BASE + "images/logo.png"
