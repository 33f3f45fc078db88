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
_GZIP_MAGIC = b"\x1f\x8b"


def gzip_bytes(body: bytes) -> bytes:
    """The gzip member of `body`, the same bytes for the same body (mtime 0)."""
    return zlib.compress(body, GZIP_LEVEL, wbits=_GZIP_WBITS)


def gunzip(data: bytes) -> bytes:
    return zlib.decompress(data, wbits=_GZIP_WBITS)


# Decompressed bodies kept in this process, by ETag, up to this many bytes (the least recently
# used dropped first): a client that does not take gzip, asking a popular large answer again and
# again, costs one decompression per process, not one per request.
INFLATED_MAX_BYTES = 16 * 1024 * 1024
_inflated: OrderedDict[str, bytes] = OrderedDict()
_inflated_bytes = 0
_inflated_lock = threading.Lock()


def gunzip_by_etag(etag: str, data: bytes) -> bytes:
    """`gunzip(data)`, for the body whose ETag is `etag` (a hash of the body itself: one ETag,
    one body), kept for the next request that asks it as it is."""
    global _inflated_bytes
    with _inflated_lock:
        body = _inflated.get(etag)
        if body is not None:
            _inflated.move_to_end(etag)
            return body
    body = gunzip(data)
    if len(body) <= INFLATED_MAX_BYTES // 4:
        with _inflated_lock:
            if etag not in _inflated:
                _inflated[etag] = body
                _inflated_bytes += len(body)
            while _inflated_bytes > INFLATED_MAX_BYTES:
                _inflated_bytes -= len(_inflated.popitem(last=False)[1])
    return body


def looks_like_gzip(data: bytes, size: int) -> bool:
    """A gzip member of `size` bytes, judged by its magic number and its trailer's length
    (ISIZE, the size modulo 2**32): a truncated or foreign value is not sent to a client."""
    return len(data) >= 18 and data[:2] == _GZIP_MAGIC and int.from_bytes(data[-4:], "little") == size % 2**32


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
