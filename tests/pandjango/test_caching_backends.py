"""The cache backends built from [cache] (pandjango/caching/backends.py), the developer's file
cache, and the cache key on its own."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client

from pandjango.caching import encoding
from pandjango.caching.backends import RESPONSES, Blake2Rendezvous, ReadableFileCache, caches_from_config
from pandjango.caching.store import MEMCACHED_KEY_BUDGET, DamagedEntry, Entry, etag_of, lock_key, response_cache_key
from tests.pandjango.conftest import DAMAGES, caches_for, damaged

JOBS = "/api/production/jobs/"
CACHE: dict[str, Any] = {
    "backend": "memcached",
    "servers": ["a.example.org:11211", "b.example.org:11211"],
    "file_dir": "var/cache",
    "default": 60,
    "timeout_seconds": 0.25,
    "lifetimes": {},
    "warm": [],
}


# ---------------------------------------------------------------------------- from the config


@pytest.mark.no_db
def test_memcached_gets_every_server_short_timeouts_and_no_silent_retries() -> None:
    built = caches_from_config(CACHE, Path("/srv/pandjango"))
    responses = built[RESPONSES]
    assert responses["BACKEND"] == "pandjango.caching.backends.PersistentPyMemcacheCache"
    assert responses["LOCATION"] == CACHE["servers"]
    options = responses["OPTIONS"]
    assert (options["connect_timeout"], options["timeout"]) == (0.25, 0.25)
    assert (options["retry_attempts"], options["ignore_exc"]) == (0, False)
    # Django's own cache (throttles) shares the servers but never raises.
    assert built["default"]["LOCATION"] == CACHE["servers"]
    assert built["default"]["OPTIONS"]["ignore_exc"] is True


@pytest.mark.no_db
def test_keys_are_spread_over_the_servers_and_a_lost_server_moves_only_its_own() -> None:
    three = Blake2Rendezvous()
    for node in ("a:11211", "b:11211", "c:11211"):
        three.add_node(node)
    keys = [f"production.jobs:anonymous:?hours={n}" for n in range(3000)]
    placed = {key: three.get_node(key) for key in keys}
    assert all(900 < list(placed.values()).count(node) < 1100 for node in three.nodes)
    three.remove_node("b:11211")
    assert all(three.get_node(key) == node for key, node in placed.items() if node != "b:11211")
    one = Blake2Rendezvous()
    one.add_node("a:11211")
    assert {one.get_node(key) for key in keys} == {"a:11211"}


@pytest.mark.no_db
def test_the_file_backend_writes_under_file_dir() -> None:
    built = caches_from_config({**CACHE, "backend": "file"}, Path("/srv/pandjango"))
    assert built[RESPONSES]["BACKEND"] == "pandjango.caching.backends.ReadableFileCache"
    assert built[RESPONSES]["LOCATION"] == "/srv/pandjango/var/cache"


@pytest.mark.no_db
@pytest.mark.parametrize(("backend", "expected"), [("memory", "locmem.LocMemCache"), ("none", "dummy.DummyCache")])
def test_memory_and_none(backend: str, expected: str) -> None:
    built = caches_from_config({**CACHE, "backend": backend}, Path("/srv"))
    assert built[RESPONSES]["BACKEND"] == f"django.core.cache.backends.{expected}"


# ---------------------------------------------------------------------------- the key


@pytest.mark.no_db
def test_the_key_does_not_depend_on_the_order_of_the_parameters() -> None:
    a = response_cache_key("production.jobs", {"hours": "12", "limit": "100", "jobstatus": "failed"}, "anonymous")
    b = response_cache_key("production.jobs", {"jobstatus": "failed", "limit": "100", "hours": "12"}, "anonymous")
    assert a == b == "production.jobs:anonymous:?hours=12&jobstatus=failed&limit=100"


@pytest.mark.no_db
def test_the_key_names_the_visibility_and_the_path_parameters() -> None:
    assert response_cache_key("production.job", {}, "staff", {"pandaid": 42}) == "production.job:staff:pandaid=42?"
    assert response_cache_key("production.job", {}, "anonymous", {"pandaid": 42}) != response_cache_key("production.job", {}, "staff", {"pandaid": 42})


@pytest.mark.no_db
def test_the_key_is_readable_and_has_no_spaces() -> None:
    key = response_cache_key("production.jobs", {"fields": "pandaid,jobstatus", "computingsite": "ANALY_*|!x y/z", "limit": "5"}, "beta")
    assert key == "production.jobs:beta:?computingsite=ANALY_*|!x%20y%2Fz&limit=5&fields=pandaid,jobstatus"


@pytest.mark.no_db
def test_a_long_key_is_hashed_within_memcached_s_limit() -> None:
    params = {"computingsite": "|".join(f"SITE_{n}" for n in range(100))}
    key = response_cache_key("production.jobs", params, "anonymous")
    assert key.startswith("production.jobs:anonymous:#")
    assert len(key) <= MEMCACHED_KEY_BUDGET
    assert len(f"pandjango.api:1:{lock_key(key)}") <= 250
    assert key != response_cache_key("production.jobs", {**params, "limit": "5"}, "anonymous")
    assert len(response_cache_key("production.jobs", params, "anonymous", budget=2000)) > MEMCACHED_KEY_BUDGET


# ---------------------------------------------------------------------------- entries


BIG = orjson.dumps({"data": [{"code": n, "text": f"error {n % 17}"} for n in range(400)]})
SMALL = b'{"data":[1,2,3]}'


@pytest.mark.no_db
def test_an_entry_is_gzipped_from_the_threshold_on_and_only_when_asked() -> None:
    big = Entry.of(BIG, compress=True)
    assert big.gzipped is not None and big.identity == BIG
    assert gzip.decompress(big.gzipped) == BIG and len(big.gzipped) < len(BIG) / 3
    assert big.etag == etag_of(BIG)
    assert Entry.of(BIG).gzipped is None  # the file cache's, and BYPASS
    assert Entry.of(SMALL, compress=True).gzipped is None
    edge = b"x" * encoding.GZIP_MIN_BYTES
    assert Entry.of(edge, compress=True).gzipped is not None
    assert Entry.of(edge[:-1], compress=True).gzipped is None


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing kept from earlier entries, as in a process that just started."""
    monkeypatch.setattr(encoding, "bodies", encoding.KeptBytes(encoding.INFLATED_MAX_BYTES))
    monkeypatch.setattr(encoding, "gzips", encoding.KeptBytes(encoding.KEPT_GZIP_MAX_BYTES))


@pytest.fixture
def inflations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the gzip members decompressed, by either way there is."""
    calls: list[int] = []
    inflate, gunzip = encoding.inflate, encoding.gunzip
    monkeypatch.setattr(encoding, "inflate", lambda data, size: calls.append(len(data)) or inflate(data, size))
    monkeypatch.setattr(encoding, "gunzip", lambda data: calls.append(len(data)) or gunzip(data))
    return calls


@pytest.mark.no_db
@pytest.mark.parametrize(("body", "compress", "encoding_name"), [(BIG, True, "gzip"), (BIG, False, "identity"), (SMALL, True, "identity")])
def test_an_entry_reads_back_as_it_was_stored(body: bytes, compress: bool, encoding_name: str) -> None:
    entry = Entry.of(body, compress)
    packed = entry.pack("k")
    header, payload = packed.split(b"\n", 1)
    assert orjson.loads(header) == {"format": 2, "key": "k", "etag": entry.etag, "created": entry.created, "encoding": encoding_name, "bytes": len(body)}
    assert payload == (entry.gzipped if compress and body is BIG else body)
    back = Entry.unpack(packed, "k")
    assert back is not None
    assert (back.body, back.etag, back.created, back.gzipped) == (body, entry.etag, entry.created, entry.gzipped)


@pytest.mark.no_db
def test_a_gzip_this_process_made_or_checked_is_read_without_decompressing_it(fresh_process: None, inflations: list[int]) -> None:
    made = Entry.of(BIG, compress=True).pack("k")
    assert [Entry.unpack(made, "k") is not None for _ in range(3)] == [True] * 3
    assert inflations == []  # made here: the gzip goes out as it is, unchecked
    encoding.gzips = encoding.KeptBytes(encoding.KEPT_GZIP_MAX_BYTES)  # another process, which did not make it
    assert [Entry.unpack(made, "k").body for _ in range(3)] == [BIG] * 3  # type: ignore[union-attr]
    assert len(inflations) == 1  # checked once, and the body it gave kept


@pytest.mark.no_db
def test_anything_but_an_entry_of_this_key_is_none_or_damaged() -> None:
    big, small = Entry.of(BIG, compress=True).pack("k"), Entry.of(SMALL).pack("k")
    assert Entry.unpack(big, "other") is None
    for cut in (big[:-8], small[:-1]):
        with pytest.raises(DamagedEntry):  # this key's, cut short
            Entry.unpack(cut, "k")
    assert Entry.unpack(small.replace(b'"format":2', b'"format":1'), "k") is None
    with pytest.raises(DamagedEntry):  # this key's, in no encoding there is
        Entry.unpack(small.replace(b'"identity"', b'"zlib"'), "k")
    assert Entry.unpack(b"not json\n" + SMALL, "k") is None
    assert Entry.unpack(SMALL, "k") is None
    assert Entry.unpack("text", "k") is None
    assert Entry.unpack(None, "k") is None


@pytest.mark.no_db
@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("known", [True, False], ids=["known to this process", "new to this process"])
def test_a_damaged_body_is_refused(damage: str, known: bool, fresh_process: None) -> None:
    entry = Entry.of(BIG, compress=True)
    if known:
        assert Entry.unpack(entry.pack("k"), "k") is not None
        assert encoding.gzips.get(entry.etag) == entry.gzipped
    else:
        encoding.gzips = encoding.KeptBytes(encoding.KEPT_GZIP_MAX_BYTES)
    with pytest.raises(DamagedEntry, match=entry.etag):
        Entry.unpack(damaged(entry.pack("k"), damage), "k")
    # What this process keeps for the ETag is still the answer itself, or nothing.
    assert encoding.bodies.get(entry.etag) in (BIG, None)
    assert encoding.gzips.get(entry.etag) in (entry.gzipped, None)


@pytest.mark.no_db
def test_a_stored_gzip_is_never_inflated_past_the_size_its_header_announces() -> None:
    bomb = encoding.gzip_bytes(b"0" * 50_000_000)
    assert len(bomb) < 100_000
    assert encoding.inflate(bomb, 1000) is None
    assert encoding.inflate(bomb[:-8], 50_000_000) is None  # cut short
    assert encoding.inflate(b"not gzip at all", 15) is None
    assert encoding.inflate(encoding.gzip_bytes(BIG), len(BIG)) == BIG


@pytest.mark.no_db
def test_the_bytes_kept_per_process_stay_within_their_budget() -> None:
    kept = encoding.KeptBytes(4 * len(BIG) + 10)
    others = [b"%d" % n + BIG[1:] for n in range(4)]  # as long as BIG
    kept.put("big", BIG)
    for n, other in enumerate(others):
        kept.put(str(n), other)
    assert kept.get("big") is None  # the least recently used went first
    assert [kept.get(str(n)) for n in range(4)] == others
    assert kept.size() == 4 * len(BIG)
    kept.put("3", others[3])  # again: counted once
    assert kept.size() == 4 * len(BIG)
    kept.put("huge", BIG * 2)  # over a quarter of the budget: not kept
    assert kept.get("huge") is None and kept.get("0") == others[0]


@pytest.mark.no_db
def test_the_gzip_representation_has_its_own_strong_etag() -> None:
    etag = etag_of(BIG)
    assert encoding.gzip_etag(etag) == etag[:-1] + '-gzip"'
    assert encoding.gzip_etag(etag) != etag and not encoding.gzip_etag(etag).startswith("W/")


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("header", "takes_gzip"),
    [
        ("gzip", True), ("GZIP", True), ("gzip, deflate, br, zstd", True), ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("x-gzip", True), ("*", True), (" gzip ; q=0.001", True), ("gzip;q=1, identity;q=0.5", True),
        ("gzip;q=0", False), ("gzip;Q=0.0", False), ("*;q=0", False), ("gzip;q=0, *", False), ("br, *;q=0", False),
        ("", False), ("identity", False), ("deflate, br", False), ("identity;q=1, gzip;q=0.5", False),
        ("gzip;q=2", False), ("gzip;q=abc", False), ("gzip;q=nan", False), (",,;", False),
    ],
)
def test_accept_encoding(header: str, takes_gzip: bool) -> None:
    assert encoding.accepts_gzip(header) is takes_gzip


# ---------------------------------------------------------------------------- backends at work


def test_the_file_backend_writes_a_readable_file(settings: Any, tmp_path: Path, anon_client: Client) -> None:
    settings.CACHES = caches_for(settings, backend="file", file_dir=str(tmp_path))
    first = anon_client.get(JOBS, {"hours": "6"})
    [entry] = tmp_path.glob("*.cache")
    assert entry.name.startswith("production.jobs:anonymous:?hours=6&limit=100&sort=-modificationtime&fields=pandaid,")
    header, body = entry.read_bytes().split(b"\n", 1)
    assert body == first.content
    assert orjson.loads(header)["etag"] == first["ETag"]
    assert anon_client.get(JOBS, {"hours": "6"})["X-Cache"] == "HIT"
    entry.unlink()  # a developer deletes it
    assert anon_client.get(JOBS, {"hours": "6"})["X-Cache"] == "MISS"


def test_the_file_backend_expires_entries(settings: Any, tmp_path: Path) -> None:
    cache = ReadableFileCache(str(tmp_path), {})
    cache.set("k", b"v", 60)
    assert cache.get("k") == b"v"
    assert cache.add("k", b"w", 60) is False
    cache.set("k", b"v", -1)
    assert cache.get("k") is None
    assert cache.add("k", b"w", 60) is True
    assert cache.get("k") == b"w"
    assert cache.delete("k") is True
    with pytest.raises(TypeError):
        cache.set("k", {"a": 1})


def test_the_memory_backend_caches(settings: Any, anon_client: Client) -> None:
    settings.CACHES = caches_for(settings, backend="memory")
    assert [anon_client.get(JOBS)["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]


def test_backend_none_caches_nothing_but_keeps_the_headers(settings: Any, anon_client: Client) -> None:
    settings.CACHES = caches_for(settings, backend="none")
    responses = [anon_client.get(JOBS) for _ in range(2)]
    assert [r["X-Cache"] for r in responses] == ["BYPASS", "BYPASS"]
    assert responses[0]["Cache-Control"] == "max-age=60"
    assert responses[0]["ETag"].startswith('"')
