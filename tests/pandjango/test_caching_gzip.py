"""Cached answers stored gzipped once and sent as those bytes to clients that take gzip, against
a real memcached (pandjango/caching/encoding.py, store.py, answers.py)."""

from __future__ import annotations

import csv
import gzip
import io
import logging
from typing import Any

import orjson
import pytest
from django.core.cache import caches
from django.test import Client

from pandjango.caching import encoding, store
from pandjango.caching.backends import RESPONSES
from tests.memcached import Memcached
from tests.pandjango.conftest import DAMAGES, answer_in, caches_for, damaged

ERRORS = "/api/production/errors/"
SUMMARY = "/api/production/jobs/summary/"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def vary(response: Any) -> set[str]:
    return {v.strip().lower() for v in response["Vary"].split(",")}


def stored_value(memcached: Memcached, settings: Any, key: str) -> bytes:
    """The value memcached holds for a response key, read past Django's cache."""
    client = memcached.client()
    try:
        value = client.get(f"{settings.CACHES[RESPONSES]['KEY_PREFIX']}:1:{key}")
    finally:
        client.close()
    assert isinstance(value, bytes)
    return value


def test_a_gzip_client_gets_the_stored_gzip_which_is_the_identity_answer(
    memcached_cache: Memcached, anon_client: Client, settings: Any, stored_keys: list[str]
) -> None:
    miss = anon_client.get(ERRORS, headers=GZIP)
    hit = anon_client.get(ERRORS, headers=GZIP)
    plain = anon_client.get(ERRORS)
    assert (miss["X-Cache"], hit["X-Cache"], plain["X-Cache"]) == ("MISS", "HIT", "HIT")
    assert miss["Content-Encoding"] == hit["Content-Encoding"] == "gzip"
    assert not plain.has_header("Content-Encoding")
    assert hit.content == miss.content  # the bytes compressed once, at the miss
    assert gzip.decompress(hit.content) == plain.content
    assert orjson.loads(plain.content)["data"]
    assert len(hit.content) < len(plain.content) / 3
    assert hit["Content-Type"] == plain["Content-Type"] == "application/json"
    for response in (miss, hit, plain):
        assert {"accept-encoding", "accept", "cookie"} <= vary(response)  # added to DRF's and the session's
    # The entry holds the gzip, not the answer as it is.
    [key] = stored_keys
    assert key.startswith("production.errors:anonymous:?")
    value = stored_value(memcached_cache, settings, key)
    header, payload = value.split(b"\n", 1)
    assert orjson.loads(header)["encoding"] == "gzip"
    assert orjson.loads(header)["bytes"] == len(plain.content)
    assert payload == hit.content
    assert len(value) < len(plain.content)


@pytest.fixture
def stored_keys(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the entries the requests store."""
    keys: list[str] = []
    put = store.ResponseStore.put

    def recorded(self: store.ResponseStore, key: str, entry: store.Entry, lifetime: int) -> None:
        keys.append(key)
        put(self, key, entry, lifetime)

    monkeypatch.setattr(store.ResponseStore, "put", recorded)
    return keys


def test_the_miss_compresses_once_and_no_hit_compresses(memcached_cache: Memcached, anon_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = encoding.gzip_bytes

    def counted(body: bytes) -> bytes:
        calls.append(len(body))
        return original(body)

    monkeypatch.setattr(encoding, "gzip_bytes", counted)
    responses = [anon_client.get(ERRORS, headers=GZIP) for _ in range(3)] + [anon_client.get(ERRORS)]
    assert [r["X-Cache"] for r in responses] == ["MISS", "HIT", "HIT", "HIT"]
    assert len(calls) == 1
    assert calls[0] == len(responses[-1].content)


def test_a_plain_client_first_stores_the_gzip_for_the_next_gzip_client(memcached_cache: Memcached, anon_client: Client) -> None:
    plain = anon_client.get(ERRORS)
    zipped = anon_client.get(ERRORS, headers=GZIP)
    assert (plain["X-Cache"], zipped["X-Cache"]) == ("MISS", "HIT")
    assert not plain.has_header("Content-Encoding")
    assert gzip.decompress(zipped.content) == plain.content


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("GZip", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("*;q=0", False),
        ("br, *;q=0", False),
        ("gzip;q=0, *", False),
        ("identity", False),
        ("deflate, br", False),
        ("", False),
        ("identity;q=1, gzip;q=0.5", False),
    ],
)
def test_accept_encoding_is_honoured(memcached_cache: Memcached, anon_client: Client, accept_encoding: str, gzipped: bool) -> None:
    reference = anon_client.get(ERRORS).content
    response = anon_client.get(ERRORS, headers={"Accept-Encoding": accept_encoding})
    assert response["X-Cache"] == "HIT"
    assert (response.get("Content-Encoding") == "gzip") is gzipped
    assert (gzip.decompress(response.content) if gzipped else response.content) == reference
    assert "accept-encoding" in vary(response)


def test_each_representation_has_its_etag_and_its_304(memcached_cache: Memcached, anon_client: Client) -> None:
    zipped = anon_client.get(ERRORS, headers=GZIP)
    plain = anon_client.get(ERRORS)
    assert zipped["ETag"] != plain["ETag"]
    assert not zipped["ETag"].startswith("W/") and not plain["ETag"].startswith("W/")
    assert zipped["ETag"] == encoding.gzip_etag(plain["ETag"])
    for headers, etag in ((GZIP, zipped["ETag"]), ({}, plain["ETag"])):
        for condition in (etag, f"W/{etag}", f'"other", {etag}'):
            response = anon_client.get(ERRORS, headers={**headers, "If-None-Match": condition})
            assert response.status_code == 304, (headers, condition)
            assert response.content == b""
            assert response["ETag"] == etag
            assert "accept-encoding" in vary(response)
    # The other representation's ETag does not name the one this client gets.
    crossed = anon_client.get(ERRORS, headers={"If-None-Match": zipped["ETag"]})
    assert (crossed.status_code, crossed["ETag"], crossed.content) == (200, plain["ETag"], plain.content)
    crossed = anon_client.get(ERRORS, headers={**GZIP, "If-None-Match": plain["ETag"]})
    assert (crossed.status_code, crossed["ETag"], crossed["Content-Encoding"]) == (200, zipped["ETag"], "gzip")
    assert gzip.decompress(crossed.content) == plain.content


def test_head_carries_the_headers_of_the_get(memcached_cache: Memcached, anon_client: Client) -> None:
    get = anon_client.get(ERRORS, headers=GZIP)
    head = anon_client.head(ERRORS, headers=GZIP)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("Content-Encoding", "ETag", "Content-Type", "Vary", "Content-Length"):
        assert head[name] == get[name], name
    assert int(head["Content-Length"]) == len(get.content)


def test_csv_is_gzipped_too_and_decompresses_to_the_csv(memcached_cache: Memcached, anon_client: Client) -> None:
    plain = anon_client.get(ERRORS, {"format": "csv"})
    zipped = anon_client.get(ERRORS, {"format": "csv"}, headers=GZIP)
    assert (plain["X-Cache"], zipped["X-Cache"]) == ("MISS", "HIT")
    assert plain["Content-Type"].startswith("text/csv") and zipped["Content-Type"].startswith("text/csv")
    assert zipped["Content-Disposition"] == plain["Content-Disposition"]
    assert len(plain.content) >= encoding.GZIP_MIN_BYTES
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(list(csv.reader(io.StringIO(plain.content.decode())))) > 1
    # Its own entry: the JSON answer is not the CSV one.
    assert anon_client.get(ERRORS, headers=GZIP)["X-Cache"] == "MISS"


def test_a_small_answer_is_stored_and_sent_as_it_is(memcached_cache: Memcached, anon_client: Client) -> None:
    plain = anon_client.get(SUMMARY)
    assert len(plain.content) < encoding.GZIP_MIN_BYTES  # the jobs summary: under a kilobyte
    zipped = anon_client.get(SUMMARY, headers=GZIP)
    assert zipped["X-Cache"] == "HIT"
    assert not zipped.has_header("Content-Encoding")
    assert (zipped.content, zipped["ETag"]) == (plain.content, plain["ETag"])
    assert "accept-encoding" in vary(zipped)


def test_no_double_compression_under_django_s_gzip_middleware(memcached_cache: Memcached, anon_client: Client, settings: Any) -> None:
    settings.MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE]
    plain = anon_client.get(ERRORS, headers={"Accept-Encoding": "identity"})
    for _ in range(2):
        zipped = anon_client.get(ERRORS, headers=GZIP)
        assert zipped["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.content) == plain.content  # once, and it is JSON
        assert zipped["ETag"] == encoding.gzip_etag(plain["ETag"])  # ours: strong, untouched
    assert anon_client.get(ERRORS, headers={**GZIP, "If-None-Match": zipped["ETag"]}).status_code == 304


def test_the_file_backend_keeps_readable_files_and_answers_them_as_they_are(settings: Any, tmp_path: Any, anon_client: Client) -> None:
    settings.CACHES = caches_for(settings, backend="file", file_dir=str(tmp_path))
    first = anon_client.get(ERRORS, headers=GZIP)
    hit = anon_client.get(ERRORS, headers=GZIP)
    assert (first["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    assert not hit.has_header("Content-Encoding")
    assert "accept-encoding" in vary(hit)
    [entry] = tmp_path.glob("*.cache")
    header, body = entry.read_bytes().split(b"\n", 1)
    assert orjson.loads(header)["encoding"] == "identity"
    assert body == hit.content and orjson.loads(body)["data"]


def test_the_memory_backend_stores_the_gzip_too(settings: Any, anon_client: Client) -> None:
    settings.CACHES = caches_for(settings, backend="memory")
    plain = anon_client.get(ERRORS)
    zipped = anon_client.get(ERRORS, headers=GZIP)
    assert (plain["X-Cache"], zipped["X-Cache"], zipped["Content-Encoding"]) == ("MISS", "HIT", "gzip")
    assert gzip.decompress(zipped.content) == plain.content


@pytest.fixture(params=["memcached", "memory", "file"])
def any_backend(request: pytest.FixtureRequest, settings: Any, tmp_path: Any) -> str:
    """Each backend that stores answers, emptied: memcached the session's real one."""
    if request.param == "memcached":
        request.getfixturevalue("memcached_cache")
    else:
        settings.CACHES = caches_for(settings, backend=request.param, file_dir=str(tmp_path))
    caches[RESPONSES].clear()
    return str(request.param)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_entry_is_computed_again_for_a_plain_and_a_gzip_client(
    any_backend: str, damage: str, anon_client: Client, stored_keys: list[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = orjson.loads(anon_client.get(ERRORS).content)["data"]
    [key] = stored_keys
    responses = caches[RESPONSES]
    for headers, forget in (({}, False), (GZIP, False), ({}, True), (GZIP, True)):
        if forget:  # nothing known of the answer in this process, as in another worker
            monkeypatch.setattr(encoding, "bodies", encoding.KeptBytes(encoding.INFLATED_MAX_BYTES))
            monkeypatch.setattr(encoding, "gzips", encoding.KeptBytes(encoding.KEPT_GZIP_MAX_BYTES))
        responses.set(key, damaged(responses.get(key), damage), 600)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="pandjango.caching"):
            again = anon_client.get(ERRORS, headers=headers)
        assert (again.status_code, again["X-Cache"]) == (200, "MISS")
        gzipped = again.get("Content-Encoding") == "gzip"
        assert gzipped is (headers == GZIP and any_backend != "file")
        answer = gzip.decompress(again.content) if gzipped else again.content
        assert orjson.loads(answer)["data"] == reference
        etag = store.etag_of(answer)
        assert again["ETag"] == (encoding.gzip_etag(etag) if gzipped else etag)
        [warning] = [r.getMessage() for r in caplog.records]
        assert warning.startswith("damaged cache entry dropped, read as a miss and computed again: " + key)
        # Stored again, whole: the next request is a HIT with the same answer.
        hit = anon_client.get(ERRORS, headers=headers)
        assert (hit["X-Cache"], hit.content, hit["ETag"]) == ("HIT", again.content, again["ETag"])
        assert answer_in(responses.get(key)) == answer
