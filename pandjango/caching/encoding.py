"""Content coding of the cached answers: whether a client takes gzip (its Accept-Encoding), the
gzip of an answer (made once, when it is stored) and the ETag of each representation."""

from __future__ import annotations

import functools
import zlib

# Below this an answer is stored and sent as it is: with its headers it fits in one TCP
# segment either way, so compressing it would save nothing on the wire and cost every HIT of a
# client that does not take gzip a decompression (docs/caching.md).
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
