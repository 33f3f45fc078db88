"""Fixtures for the caching tests: a real memcached, started once per run on a free port and
killed at the end, and the responses cache pointed at it; and for the rollups' tests, an
answer asked for with rollups on or off."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from pandjango.caching import encoding, store
from pandjango.caching.backends import RESPONSES, caches_from_config
from pandjango.config import BASE_DIR
from tests.memcached import Memcached

# A dead server is tried again after this long in the tests (DEAD_RETRY_SECONDS in production).
TEST_DEAD_RETRY_SECONDS = 0.3


@pytest.fixture(scope="session")
def memcached() -> Iterator[Memcached]:
    server = Memcached()
    server.start()
    yield server
    server.stop()


def caches_for(settings: Any, **cache: Any) -> dict[str, Any]:
    built = caches_from_config({**settings.PANDJANGO["cache"], **cache}, BASE_DIR)
    if cache.get("backend") == "memcached":
        built[RESPONSES]["OPTIONS"]["dead_timeout"] = TEST_DEAD_RETRY_SECONDS
    return built


@pytest.fixture
def memcached_cache(settings: Any, memcached: Memcached) -> Iterator[Memcached]:
    """The caches on the session's memcached, emptied; the memcached running again if a
    failure test stopped it."""
    if memcached.process is None:
        memcached.start()
    memcached.flush()
    settings.CACHES = caches_for(settings, backend="memcached", servers=[memcached.server])
    store.health.reset()
    yield memcached
    store.health.reset()


@pytest.fixture
def fetch(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> Callable[..., dict[str, Any]]:
    """fetch(url, rollups=True|False, **params): the answer, computed afresh (no cached answer)."""

    def get(url: str, rollups: bool = True, **params: Any) -> dict[str, Any]:
        pandjango_config("rollups.enabled", rollups)
        for alias in django_settings.CACHES:
            caches[alias].clear()
        return get_json(url, **params)  # type: ignore[no-any-return]

    return get


# ---------------------------------------------------------------------------- damaged entries


DAMAGES = ["a gzip that does not inflate", "a gzip of other bytes", "a gzip with bytes after it", "a gzip cut short", "other bytes as they are"]


def answer_in(value: bytes) -> bytes:
    """The answer a stored value holds, decompressed."""
    header, payload = value.split(b"\n", 1)
    return gzip.decompress(payload) if orjson.loads(header)["encoding"] == "gzip" else payload


def damaged(value: bytes, damage: str) -> bytes:
    """A stored value with its header as it was (saying gzip, but identity for the last
    damage) and a body that is not the answer the header announces."""
    header = value.split(b"\n", 1)[0]
    as_gzip, as_is = header.replace(b'"identity"', b'"gzip"'), header.replace(b'"gzip"', b'"identity"')
    answer = answer_in(value)
    whole, other = encoding.gzip_bytes(answer), answer.replace(b'"data"', b'"dada"')  # as long, other bytes
    assert len(other) == len(answer) and other != answer
    return {
        "a gzip that does not inflate": as_gzip + b"\n" + whole[:10] + bytes(b ^ 0x55 for b in whole[10:-8]) + whole[-8:],
        "a gzip of other bytes": as_gzip + b"\n" + encoding.gzip_bytes(other),
        "a gzip with bytes after it": as_gzip + b"\n" + whole + b"\0\0\0\0",
        "a gzip cut short": as_gzip + b"\n" + whole[:-10],
        "other bytes as they are": as_is + b"\n" + other,
    }[damage]
