"""The proxy to the old monitor (config [legacy]), for sections that are off and pages not
ported yet: /legacy/<path>?<query> fetches base_url + path + query and hands back its page,
sanitised, with its links turned into /legacy/ links so that a user stays inside Pandjango.

Safe by construction:
- the scheme, host and port come only from legacy.base_url; a path is checked before it is
  joined to it (`check_path`), and the joined URL is checked again (`relative_path`);
- redirects are followed here, one hop at a time, and only within base_url;
- nothing of the user's request is forwarded but Accept-Language: no Cookie, no
  Authorization, no hop-by-hop header; X-Forwarded-* are ours;
- one deadline, legacy.timeout_seconds, holds for the whole fetch (connect, headers, body,
  redirects) and the sanitising: every socket operation gets only the time left;
- the page is read up to legacy.max_bytes; one nested deeper than MAX_DEPTH is refused before
  it is parsed (the parser's cost grows with the depth, quadratically);
- the HTML goes through nh3 (ammonia): no scripts, no event handlers, no javascript: URLs,
  no password fields.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
import orjson
from django.core.cache import cache

from pandjango.caching.health import OptionalService
from pandjango.legacy.paths import LegacyError, LegacySettings, check_path, relative_path, target_url
from pandjango.legacy.sanitise import sanitise
from pandjango.sections import visibility_class

log = logging.getLogger("pandjango.legacy")

MAX_REDIRECTS = 5
USER_AGENT = "Pandjango legacy proxy"
FORWARDED_REQUEST_HEADERS = ("Accept-Language",)

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/csv", "application/json", "text/xml", "application/xml")
IMAGE_TYPES = ("image/png", "image/gif", "image/jpeg", "image/webp")


# ---------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class LegacyPage:
    kind: str  # "html", "text" or "image"
    url: str  # where the old monitor answered, after redirects
    content_type: str
    title: str = ""
    body: str = ""  # sanitised HTML, or plain text
    fetched_at: str = ""
    image: bytes = b""


def forwarded_headers(meta: dict[str, Any], host: str, scheme: str) -> dict[str, str]:
    """The headers sent to the old monitor: ours, plus the few harmless ones of the user's."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
        "X-Forwarded-For": str(meta.get("REMOTE_ADDR", "")),
        "X-Forwarded-Host": host,
        "X-Forwarded-Proto": scheme,
    }
    for name in FORWARDED_REQUEST_HEADERS:
        value = meta.get("HTTP_" + name.upper().replace("-", "_"))
        if value:
            headers[name] = str(value)
    return headers


# One deadline for the whole fetch. httpx's timeouts are per socket operation: an old monitor
# that sends a byte of its headers every few seconds never trips them. Here every connect, read
# and write gets only the time left, so the fetch ends by the deadline whatever the server does.


def _time_left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _time_left(self.deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _time_left(self.deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self.stream.start_tls(ssl_context, server_hostname, _time_left(self.deadline, timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self.backend = httpcore.SyncBackend()
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _time_left(self.deadline, timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.backend.connect_tcp(host, port, timeout, local_address, socket_options), self.deadline)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class DeadlineTransport(httpx.BaseTransport):
    """httpx over connections that all end by `deadline` (a time.monotonic() value)."""

    def __init__(self, deadline: float) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)
        self.pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_DeadlineBackend(deadline))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port, target=request.url.raw_path)
        content = request.stream if isinstance(request.stream, httpx.SyncByteStream) else None
        core_request = httpcore.Request(request.method, url, headers=request.headers.raw, content=content, extensions=request.extensions)
        with _as_httpx_errors():
            response = self.pool.handle_request(core_request)
        return httpx.Response(response.status, headers=response.headers, stream=_ResponseBody(response), extensions=response.extensions)

    def close(self) -> None:
        self.pool.close()


class _ResponseBody(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self.response = response

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self.response.iter_stream()

    def close(self) -> None:
        self.response.close()


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc)) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__) from exc


def fetch(cfg: LegacySettings, path: str, query: str, headers: dict[str, str]) -> LegacyPage:
    url = target_url(cfg, path, query)
    deadline = time.monotonic() + cfg.timeout_seconds
    transport = DeadlineTransport(deadline)
    # trust_env=False: no proxy or .netrc from the environment; the host is base_url's.
    with httpx.Client(transport=transport, timeout=cfg.timeout_seconds, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            client.cookies.clear()
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if not response.is_redirect:
                        return _page_from(cfg, response, deadline)
                    url = _redirect_target(cfg, url, response.headers.get("Location", ""))
            except httpx.TimeoutException:
                raise _timed_out(cfg) from None
            except httpx.DecodingError:
                raise LegacyError(502, "legacy_error", "The old monitor's page could not be decompressed.") from None
            except httpx.TransportError as exc:
                raise LegacyError(502, "legacy_unavailable", f"The old monitor at {cfg.where} is down or unreachable ({_reason(exc)}).") from None
    raise LegacyError(502, "legacy_redirect_refused", f"The old monitor redirected more than {MAX_REDIRECTS} times.")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    if "refused" in text.lower():
        return "connection refused"
    return text[:200] or type(exc).__name__


def _timed_out(cfg: LegacySettings) -> LegacyError:
    return LegacyError(504, "legacy_timeout", f"The old monitor at {cfg.where} did not answer within {cfg.timeout_seconds:g} seconds.")


def _redirect_target(cfg: LegacySettings, current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location.strip())
    except httpx.InvalidURL:
        target = None
    rel = relative_path(cfg, target) if target is not None else None
    if target is None or rel is None:
        raise LegacyError(502, "legacy_redirect_refused", "The old monitor redirected outside itself; the proxy does not follow.")
    try:
        check_path(rel, cfg)
    except LegacyError as exc:
        raise LegacyError(502, "legacy_redirect_refused", f"The old monitor redirected to a path the proxy refuses: {exc.message}.") from None
    return target


def _page_from(cfg: LegacySettings, response: httpx.Response, deadline: float) -> LegacyPage:
    status = response.status_code
    if status >= 500:
        raise LegacyError(502, "legacy_error", f"The old monitor answered {status} {response.reason_phrase}.", upstream_status=status)
    if status >= 400:
        raise LegacyError(status, "legacy_error", f"The old monitor answered {status} {response.reason_phrase}.", upstream_status=status)
    body = _read_capped(cfg, response, deadline)
    content_type = response.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
    fetched_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page_url = str(response.url)
    if content_type in IMAGE_TYPES:
        return LegacyPage("image", page_url, content_type, image=body, fetched_at=fetched_at)
    text = _decode(body, response.charset_encoding)
    if content_type in HTML_TYPES:
        title, html = sanitise(text, page_url, cfg, deadline)
        return LegacyPage("html", page_url, content_type, title=title, body=html, fetched_at=fetched_at)
    if content_type in TEXT_TYPES:
        return LegacyPage("text", page_url, content_type, body=text, fetched_at=fetched_at)
    raise LegacyError(502, "legacy_unsupported", f"The old monitor answered with {content_type}, which the proxy does not show.", upstream_status=status)


def _read_capped(cfg: LegacySettings, response: httpx.Response, deadline: float) -> bytes:
    message = f"The old monitor's page is larger than the {cfg.max_bytes} bytes the proxy accepts."
    too_large = LegacyError(502, "legacy_too_large", message, upstream_status=response.status_code)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cfg.max_bytes:
        raise too_large
    body = bytearray()
    # iter_bytes decompresses: the cap holds for what a gzip bomb would unpack to.
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > cfg.max_bytes:
            raise too_large
        if time.monotonic() > deadline:
            raise _timed_out(cfg)
    return bytes(body)


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------- caching


def legacy_cache_key(path: str, query: str, viewer: str) -> str:
    digest = hashlib.sha256(f"{viewer}\n{path}\n{query}".encode()).hexdigest()
    return f"legacy:{digest}"


def load_page(cfg: LegacySettings, path: str, query: str, user: Any, headers: dict[str, str]) -> tuple[LegacyPage, bool]:
    """The page, from the cache when it holds it: (page, was it cached). Pages and text are
    cached for legacy.cache_lifetime, per class of viewer; images and failures are not."""
    key = legacy_cache_key(path, query, visibility_class(user))
    if cfg.cache_lifetime > 0:
        stored = _cache_call(cache.get, key)
        if isinstance(stored, bytes):
            return LegacyPage(**orjson.loads(stored)), True
    page = fetch(cfg, path, query, headers)
    if cfg.cache_lifetime > 0 and page.kind != "image":
        fields = asdict(page)
        fields.pop("image")
        _cache_call(cache.set, key, orjson.dumps(fields), cfg.cache_lifetime)
    return page, False


# The cache is optional: down, or refusing a large page, it reads as a miss.
page_cache = OptionalService(log, down="legacy page cache unavailable ({error}): pages are fetched from the old monitor until it is back",
                             back="legacy page cache reachable again after {seconds:.0f} s")


def _cache_call(method: Any, *args: Any) -> Any:
    return page_cache.attempt(lambda: method(*args), lambda: None)
