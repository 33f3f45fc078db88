"""Content coding of the cached answers: whether a client takes gzip (its Accept-Encoding), the
gzip of an answer (made once, when it is stored) and the ETag of each representation."""

from __future__ import annotations

import functools
import threading
import zlib
from collections import OrderedDict

# Below this an answer is stored and sent as it is: compressing it would save at most one TCP
# segment (1,460 bytes on Ethernet; the headers take about 600) and cost every HIT of a client
# that does not take gzip a decompression (docs/caching.md).
GZIP_MIN_BYTES = 1024
# Made once per entry and sent many times: zlib's default level. Level 1 leaves the large
# answers 15-30% bigger; 9 takes 2 to 4 times as long for 2-7% less (docs/caching.md).
GZIP_LEVEL = 6
GZIP = "gzip"
_GZIP_WBITS = 31  # zlib's gzip container: header (mtime 0), deflate, CRC-32 and size


def gzip_bytes(body: bytes) -> bytes:
    """The gzip member of `body`, the same bytes for the same body (mtime 0)."""
    return zlib.compress(body, GZIP_LEVEL, wbits=_GZIP_WBITS)


def gunzip(data: bytes) -> bytes:
    return zlib.decompress(data, wbits=_GZIP_WBITS)


def inflate(data: bytes, size: int) -> bytes | None:
    """The `size` bytes a stored gzip member holds, or None when it is anything else: not gzip,
    cut short, longer than `size` once inflated (never inflated past it), or followed by other
    bytes, which a client's gzip decoder would choke on."""
    inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
    try:
        body = inflater.decompress(data, size)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data or len(body) != size:
        return None
    return body


class KeptBytes:
    """Bytes kept in this process by ETag, up to `max_bytes` in all, the least recently used
    dropped first; one item at most a quarter of it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            data = self._items.get(etag)
            if data is not None:
                self._items.move_to_end(etag)
            return data

    def put(self, etag: str, data: bytes) -> None:
        if len(data) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(etag, None)
            self._bytes += len(data) - (len(old) if old is not None else 0)
            self._items[etag] = data
            while self._bytes > self.max_bytes:
                self._bytes -= len(self._items.popitem(last=False)[1])

    def size(self) -> int:
        return self._bytes


# What this process knows to be right, by ETag (a hash of the body itself: one ETag, one body):
# the bodies, so that a client that does not take gzip, asking a popular large answer again
# and again, costs one decompression per process, not one per request; and the gzip members
# found to inflate to them, so that a stored value is checked by comparing its bytes, not by
# inflating and hashing it on every request.
INFLATED_MAX_BYTES = 16 * 1024 * 1024
KEPT_GZIP_MAX_BYTES = 4 * 1024 * 1024
bodies = KeptBytes(INFLATED_MAX_BYTES)
gzips = KeptBytes(KEPT_GZIP_MAX_BYTES)


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip representation of the answer whose ETag is `etag`: another
    representation, so another ETag (RFC 9110 8.8.3), "<hash>-gzip" as Apache's mod_deflate
    writes it."""
    return f'{etag[:-1]}-{GZIP}"'


def _weight(params: str) -> float:
    """The q of a coding's parameters (";q=0.5"); 1 without one, 0 for one that is not a qvalue."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


@functools.lru_cache(maxsize=256)
def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding value takes gzip over the answer as it is (RFC 9110 12.5.3):
    gzip (or x-gzip, its old name), else `*`, with a q above 0 (`gzip;q=0` refuses it), and
    no lower than identity's when the client weighs identity too (explicitly or by `*`).
    Case-insensitive. An empty value takes identity only. Cached: clients send few values."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        coding, _, params = part.partition(";")
        coding = coding.strip().lower()
        if coding and coding not in weights:
            weights[coding] = _weight(params)
    for name in (GZIP, "x-gzip", "*"):
        if name in weights:
            gzip_q = weights[name]
            break
    else:
        return False
    identity_q = weights.get("identity", weights.get("*", 0.0))
    return gzip_q > 0.0 and gzip_q >= identity_q
