"""The response store: cache keys, entries (the bytes that go out, compressed), and the cache's health."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.memcached import BaseMemcachedCache

from pandjango.caching import encoding
from pandjango.caching.backends import RESPONSES, ReadableFileCache
from pandjango.caching.health import WARN_INTERVAL_SECONDS, OptionalService

# Set in the WSGI environ by `manage.py cache warm`: recompute and store. A client cannot set
# it (a header only ever reaches the environ as HTTP_*).
REFRESH_ENVIRON = "pandjango.cache_refresh"

# memcached refuses keys over 250 bytes; this leaves room for the key prefix, the version
# and the "lock:" of the lock key. Other backends take longer keys, so file names stay readable.
MEMCACHED_KEY_BUDGET = 200
OTHER_KEY_BUDGET = 2000
log = logging.getLogger("pandjango.caching")
_too_large_warned: dict[str, float] = {}

# memcached's default item size is 1 MiB, key and item header included.
MEMCACHED_MAX_VALUE = 1_000_000
# An entry stays in the cache this long past its lifetime, to be served while one request
# recomputes it; it is never served stale otherwise.
STALE_SECONDS = 300
# How long a request waits for another one computing the same cold entry.
LOCK_WAIT_SECONDS = 10.0

# 2: a body over encoding.GZIP_MIN_BYTES stored gzipped (1 stored it zlib-compressed past
# memcached's item size only; such entries read as misses and are computed again).
ENTRY_FORMAT = 2
IDENTITY = "identity"

T = TypeVar("T")


# ---------------------------------------------------------------------------- keys and entries


_KEY_SAFE = ",|!*-_.:+@~"
# What quote() leaves as it is: most values (hours=12, jobstatus=failed), which then skip it.
_AS_IT_IS = re.compile(rf"[A-Za-z0-9{re.escape(_KEY_SAFE)}]*")


def _quote(value: str) -> str:
    # Readable, and free of what memcached refuses (spaces, control characters) and of the
    # key's own separators.
    if _AS_IT_IS.fullmatch(value):
        return value
    return quote(value, safe=_KEY_SAFE)


def _digest(data: bytes, size: int) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def response_cache_key(
    endpoint: str,
    params: Mapping[str, str],
    visibility: str,
    path_params: Mapping[str, Any] | None = None,
    budget: int = MEMCACHED_KEY_BUDGET,
) -> str:
    """`endpoint:visibility:pathparams?query`, the query sorted by name (`fields` last: it is
    long, and a readable file name cut short still shows the rest). Hashed past `budget`."""
    path = "&".join(f"{name}={_quote(str(value))}" for name, value in sorted((path_params or {}).items()))
    names = sorted(params, key=lambda name: (name == "fields", name))
    query = "&".join(f"{name}={_quote(params[name])}" for name in names)
    key = f"{endpoint}:{visibility}:{path}?{query}"
    if len(key) > budget:
        key = f"{endpoint}:{visibility}:#{_digest(key.encode(), 20)}"
    return key


def lock_key(key: str) -> str:
    return "lock:" + key


def etag_of(body: bytes) -> str:
    return f'"{_digest(body, 16)}"'


@dataclass(frozen=True)
class Entry:
    """An answer as it went out: its ETag, when it was computed, and its body as it is
    (`identity`), gzip-compressed (`gzipped`) or both. A large answer is stored gzipped only,
    and decompressed only for a client that does not take gzip (`body`)."""

    etag: str
    created: float
    identity: bytes | None
    gzipped: bytes | None = None

    @classmethod
    def of(cls, body: bytes, compress: bool = False) -> Entry:
        """The entry of a body just computed; with `compress`, gzipped too when it is at least
        GZIP_MIN_BYTES long (compressed once, here, then stored and sent as these bytes)."""
        etag = etag_of(body)
        gzipped = None
        if compress and len(body) >= encoding.GZIP_MIN_BYTES:
            gzipped = encoding.gzip_bytes(body)
            encoding.gzips.put(etag, gzipped)  # this process made it: it needs no check when read
        return cls(etag, time.time(), body, gzipped)

    @property
    def body(self) -> bytes:
        if self.identity is not None:
            return self.identity
        assert self.gzipped is not None
        body = encoding.bodies.get(self.etag)
        if body is None:
            body = encoding.gunzip(self.gzipped)  # checked when it was read (`unpack`)
            encoding.bodies.put(self.etag, body)
        return body

    def age(self) -> float:
        return max(0.0, time.time() - self.created)

    def pack(self, key: str) -> bytes:
        """The stored value: a one-line JSON header, then the body, gzipped when it has been."""
        payload = self.gzipped if self.gzipped is not None else self.body
        header = {
            "format": ENTRY_FORMAT,
            "key": key,
            "etag": self.etag,
            "created": self.created,
            "encoding": encoding.GZIP if self.gzipped is not None else IDENTITY,
            "bytes": len(self.body),
        }
        return orjson.dumps(header) + b"\n" + payload

    @classmethod
    def unpack(cls, raw: Any, key: str) -> Entry | None:
        """The entry stored under `key`, or None for anything else (another format, another key
        under the same hash). DamagedEntry for an entry of this key whose body is not the one
        its header announces: it must not go out."""
        if not isinstance(raw, bytes):
            return None
        head, _, payload = raw.partition(b"\n")
        try:
            header = orjson.loads(head)
            if header["format"] != ENTRY_FORMAT or header["key"] != key:
                return None
            etag, created, size, coding = str(header["etag"]), float(header["created"]), int(header["bytes"]), header["encoding"]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        if coding == encoding.GZIP:
            if _is_gzip_of(etag, payload, size):
                return cls(etag, created, encoding.bodies.get(etag), payload)
        elif coding == IDENTITY and len(payload) == size and _is_body_of(etag, payload):
            return cls(etag, created, payload)
        raise DamagedEntry(f"{coding}, {size} bytes announced, {len(payload)} stored, not the answer {etag} names")


class DamagedEntry(ValueError):
    pass


def _is_body_of(etag: str, body: bytes) -> bool:
    """Whether `body` is the one `etag` names: the bytes this process already knows for it,
    else hashed (and then known)."""
    if encoding.bodies.get(etag) == body:
        return True
    if etag_of(body) != etag:
        return False
    encoding.bodies.put(etag, body)
    return True


def _is_gzip_of(etag: str, gzipped: bytes, size: int) -> bool:
    """Whether `gzipped` is a whole gzip member of the `size`-byte body `etag` names, as it
    goes out to clients: the bytes this process made or already checked for it, else inflated
    and hashed once (and then known, the body too)."""
    if encoding.gzips.get(etag) == gzipped:
        return True
    body = encoding.inflate(gzipped, size)
    if body is None or not _is_body_of(etag, body):
        return False
    encoding.gzips.put(etag, gzipped)
    return True


# ---------------------------------------------------------------------------- the store


# The responses cache is optional: while it fails, requests are answered uncached.
health = OptionalService(
    log,
    down="response cache unavailable ({error}): answering uncached (X-Cache: BYPASS) until it is back",
    back="response cache reachable again after {seconds:.0f} s: caching resumed",
)


class ResponseStore:
    """The responses cache for one request. No call raises: a failure reads as a miss, and
    `failed` tells the request it is being answered uncached."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        memcached = isinstance(cache, BaseMemcachedCache)
        # Only the file cache needs long keys (readable file names); the others keep
        # memcached's budget, so a key behaves the same in the demo as in production.
        self.key_budget = OTHER_KEY_BUDGET if isinstance(cache, ReadableFileCache) else MEMCACHED_KEY_BUDGET
        self.max_value = MEMCACHED_MAX_VALUE if memcached else None
        # Large answers are stored gzipped, to be sent as they are to clients that take gzip;
        # the file cache keeps its files readable.
        self.compresses = not isinstance(cache, ReadableFileCache)
        self.failed = False

    def _call(self, method: Callable[..., T], *args: Any) -> T | None:
        def uncached() -> None:
            self.failed = True

        return health.attempt(lambda: method(*args), uncached)

    def get(self, key: str) -> Entry | None:
        raw = self._call(self.cache.get, key)
        try:
            return Entry.unpack(raw, key)
        except DamagedEntry as damage:
            # Dropped, so that the requests waiting for it see a miss, not the damage again.
            log.warning("damaged cache entry dropped, read as a miss and computed again: %s (%s)", key, damage)
            self._call(self.cache.delete, key)
            return None

    def take_lock(self, key: str) -> bool:
        return bool(self._call(self.cache.add, lock_key(key), b"1", _lock_seconds()))

    def release_lock(self, key: str) -> None:
        self._call(self.cache.delete, lock_key(key))

    def put(self, key: str, entry: Entry, lifetime: int) -> None:
        value = entry.pack(key)
        if self.max_value is not None and len(value) > self.max_value:
            _warn_too_large(key, len(entry.body), len(value), self.max_value)
            return
        self._call(self.cache.set, key, value, lifetime + STALE_SECONDS)


def _lock_seconds() -> int:
    # Held at most as long as a query may run (the statement timeout), plus rendering.
    return int(settings.PANDJANGO["limits"]["statement_timeout_ms"] / 1000) + 10


def _warn_too_large(key: str, size: int, stored: int, limit: int) -> None:
    endpoint = key.split(":", 1)[0]
    now = time.monotonic()
    if now - _too_large_warned.get(endpoint, float("-inf")) < WARN_INTERVAL_SECONDS:
        return
    _too_large_warned[endpoint] = now
    log.warning(
        "not cached: %s is %d bytes, %d as stored (gzipped), over the %d bytes memcached accepts; "
        "every such request is computed (narrow it with limit or fields)",
        key, size, stored, limit,
    )


def response_store() -> ResponseStore | None:
    """The responses cache, or None when caching is off (backend "none")."""
    if RESPONSES not in settings.CACHES:
        return None
    cache = caches[RESPONSES]
    if isinstance(cache, DummyCache):
        return None
    return ResponseStore(cache)

