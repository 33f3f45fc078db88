"""The cache backends, built from the [cache] table of the config file, and the developer's
file cache whose entries are files a person can read and delete.

Three aliases: `default` (Django's own uses), `responses` (the API answers,
pandjango/caching/) and `throttle` (anonymous clients' request counts, pandjango/edge/throttling.py).
`responses` and `throttle` report a failing memcached, so that a request can be served uncached
and counted in its own process; `default` ignores memcached errors.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.memcached import PyMemcacheCache
from pymemcache.client.rendezvous import RendezvousHash

RESPONSES = "responses"
THROTTLE = "throttle"

# A memcached server that failed is left alone this long before it is tried again; meanwhile
# the requests it would have served are answered uncached (X-Cache: BYPASS).
DEAD_RETRY_SECONDS = 5.0

_PYMEMCACHE = "pandjango.caching.backends.PersistentPyMemcacheCache"
_LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def memcached_options(timeout_seconds: float, report_errors: bool) -> dict[str, Any]:
    """pymemcache HashClient options: short timeouts, no retrying inside the client (a
    failure marks the server dead at once, for DEAD_RETRY_SECONDS, instead of silently
    answering misses), and errors raised to the caller unless `report_errors` is false."""
    return {
        "connect_timeout": timeout_seconds,
        "timeout": timeout_seconds,
        "no_delay": True,
        "retry_attempts": 0,
        "dead_timeout": DEAD_RETRY_SECONDS,
        "ignore_exc": not report_errors,
        "hasher": Blake2Rendezvous,
    }


def _blake2(data: str, seed: int) -> int:
    return int.from_bytes(hashlib.blake2b(data.encode(), digest_size=8).digest(), "big")


class Blake2Rendezvous(RendezvousHash):
    """pymemcache's consistent hashing of keys to servers (rendezvous, or highest random
    weight: a server that goes away moves only its own keys), with hashlib's BLAKE2b for the
    weights instead of pymemcache's murmur3 written in Python, which costs 50 us per key and
    server on every cache call. One server needs no hashing at all."""

    def __init__(self) -> None:
        super().__init__(hash_function=_blake2)

    def get_node(self, key: str) -> str | None:
        if len(self.nodes) == 1:
            return str(self.nodes[0])
        node = super().get_node(key)
        return None if node is None else str(node)


def caches_from_config(cache: dict[str, Any], base_dir: Path) -> dict[str, dict[str, Any]]:
    """Django's CACHES for the config's [cache] table."""
    caches = _default_and_responses(cache, base_dir)
    if cache["backend"] == "memcached":
        # Shared by every worker and server; a failure is reported, for the throttle to count locally.
        caches[THROTTLE] = {**caches[RESPONSES], "KEY_PREFIX": "pandjango.throttle"}
    else:
        caches[THROTTLE] = {"BACKEND": _LOCMEM, "LOCATION": THROTTLE}
    return caches


def _default_and_responses(cache: dict[str, Any], base_dir: Path) -> dict[str, dict[str, Any]]:
    backend = cache["backend"]
    local_default = {"BACKEND": _LOCMEM, "LOCATION": "default"}
    if backend == "memcached":
        servers = list(cache["servers"])
        timeout = float(cache["timeout_seconds"])
        return {
            "default": {"BACKEND": _PYMEMCACHE, "LOCATION": servers, "KEY_PREFIX": "pandjango", "OPTIONS": memcached_options(timeout, False)},
            RESPONSES: {"BACKEND": _PYMEMCACHE, "LOCATION": servers, "KEY_PREFIX": "pandjango.api", "OPTIONS": memcached_options(timeout, True)},
        }
    if backend == "file":
        directory = Path(cache["file_dir"])
        if not directory.is_absolute():
            directory = base_dir / directory
        return {"default": local_default, RESPONSES: {"BACKEND": "pandjango.caching.backends.ReadableFileCache", "LOCATION": str(directory)}}
    if backend == "memory":
        return {"default": local_default, RESPONSES: {"BACKEND": _LOCMEM, "LOCATION": RESPONSES, "OPTIONS": {"MAX_ENTRIES": 2000}}}
    return {"default": local_default, RESPONSES: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


class PersistentPyMemcacheCache(PyMemcacheCache):
    """Django's PyMemcacheCache, keeping its connections from one request to the next instead
    of reconnecting for each (Django closes them when a request ends). Django's caches are
    per thread, so every thread keeps its own; a connection memcached dropped fails one call,
    which is answered uncached, and the next call reconnects."""

    def close(self, **kwargs: Any) -> None:
        pass


# Characters kept as they are in a file name; everything else is %-escaped ("/" above all).
_FILE_SAFE = ":=&,.-_|!*+~@?#"
_FILE_NAME_MAX = 200


def file_name_for(key: str) -> str:
    """The file name of a key: the key itself, so a developer sees the endpoint and the query;
    a long one is cut, with a hash of the whole key to keep names apart."""
    name = quote(key, safe=_FILE_SAFE)
    if len(name) > _FILE_NAME_MAX:
        name = name[: _FILE_NAME_MAX - 18] + "~" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return name + ".cache"


class ReadableFileCache(BaseCache):
    """A developer's file cache: one file per key, holding the value as it is (bytes or text,
    nothing pickled or compressed), so an entry can be opened and deleted by hand. The expiry
    time is the file's modification time."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.directory = Path(location)

    def make_key(self, key: Any, version: Any = None) -> str:
        # Files are named after the key alone: no prefix or version to read past.
        return str(key)

    def path_for(self, key: str) -> Path:
        return self.directory / file_name_for(key)

    def _expiry(self, timeout: Any) -> float:
        backend_timeout = self.get_backend_timeout(timeout)
        return float(2**31) if backend_timeout is None else float(backend_timeout)

    def _read(self, path: Path) -> bytes | None:
        try:
            if path.stat().st_mtime <= time.time():
                path.unlink(missing_ok=True)
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    @staticmethod
    def _as_bytes(value: Any) -> bytes:
        if isinstance(value, str):
            return value.encode()
        if not isinstance(value, bytes):
            raise TypeError(f"the file cache stores bytes or text, not {type(value).__name__}")
        return value

    def _write(self, path: Path, value: Any, timeout: Any) -> None:
        data = self._as_bytes(value)
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            expiry = self._expiry(timeout)
            os.utime(tmp, (expiry, expiry))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = self._read(self.path_for(self.make_key(key, version)))
        return default if value is None else value

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self._write(self.path_for(self.make_key(key, version)), value, timeout)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        path = self.path_for(self.make_key(key, version))
        if self._read(path) is not None:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of two processes adding the same key, one wins.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(self._as_bytes(value))
        expiry = self._expiry(timeout)
        os.utime(path, (expiry, expiry))
        return True

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        path = self.path_for(self.make_key(key, version))
        if self._read(path) is None:
            return False
        expiry = self._expiry(timeout)
        os.utime(path, (expiry, expiry))
        return True

    def delete(self, key: Any, version: Any = None) -> bool:
        path = self.path_for(self.make_key(key, version))
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._read(self.path_for(self.make_key(key, version))) is not None

    def clear(self) -> None:
        if self.directory.is_dir():
            for path in self.directory.glob("*.cache"):
                path.unlink(missing_ok=True)
