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
import re
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import httpcore
import httpx
import nh3
import orjson
from django.conf import settings
from django.core.cache import cache

from pandjango.sections import SECTIONS, can_see, visibility_class

log = logging.getLogger("pandjango.legacy")

MAX_REDIRECTS = 5
USER_AGENT = "Pandjango legacy proxy"
FORWARDED_REQUEST_HEADERS = ("Accept-Language",)

# Path characters the old monitor's URLs need; "%" is not one of them, so a path that was
# percent-encoded twice (%252e%252e) never gets through as "..".
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~/+,;=!$'()*&-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/csv", "application/json", "text/xml", "application/xml")
IMAGE_TYPES = ("image/png", "image/gif", "image/jpeg", "image/webp")

# What the old monitor's pages may keep: nh3's defaults plus GET forms.
SAFE_TAGS = nh3.ALLOWED_TAGS | {"form", "input", "select", "option", "optgroup", "label", "button", "textarea", "fieldset", "legend"}
SAFE_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "table": set(nh3.ALLOWED_ATTRIBUTES["table"]) | {"border", "cellpadding", "cellspacing"},
    "form": {"action"},
    "input": {"name", "value", "type", "size", "maxlength", "checked", "placeholder"},
    "select": {"name", "multiple", "size"},
    "option": {"value", "selected"},
    "optgroup": {"label"},
    "label": {"for"},
    "button": {"name", "value", "type"},
    "textarea": {"name", "rows", "cols"},
}
# The proxy is read-only: a form keeps method="get" or loses its method (and so is a GET).
SAFE_ATTRIBUTE_VALUES = {"form": {"method": {"get", "GET"}}}
DROPPED_WITH_CONTENT = {"script", "style", "title"}
URL_ATTRIBUTES = {("a", "href"), ("area", "href"), ("form", "action"), ("img", "src")}
# Browsers stop nesting at 512 too; a real page of the old monitor is a few tens deep. At this
# depth nh3 sanitises 2 MB in about a second; 100,000 deep, a 1 MB page took 50 s.
MAX_DEPTH = 512


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class LegacySettings:
    base_url: str
    allowed_prefixes: tuple[str, ...]
    timeout_seconds: float
    max_bytes: int
    cache_lifetime: int
    tabs: dict[str, str]

    @property
    def base(self) -> httpx.URL:
        return httpx.URL(self.base_url)

    @property
    def where(self) -> str:
        """The old monitor's host and port, as said in error messages."""
        return f"{self.base.host}:{self.base.port or (443 if self.base.scheme == 'https' else 80)}"


def legacy_settings() -> LegacySettings | None:
    """The [legacy] config, or None when no old monitor is configured (base_url empty)."""
    cfg = settings.PANDJANGO["legacy"]
    base_url = cfg["base_url"].strip()
    if not base_url:
        return None
    if not base_url.endswith("/"):
        base_url += "/"
    return LegacySettings(
        base_url=base_url,
        allowed_prefixes=tuple(p.strip("/") for p in cfg["allowed_prefixes"]),
        timeout_seconds=float(cfg["timeout_seconds"]),
        max_bytes=int(cfg["max_bytes"]),
        cache_lifetime=int(cfg["cache_lifetime"]),
        tabs=dict(cfg["tabs"]),
    )


def check_base_url(base_url: str) -> str | None:
    """What is wrong with a configured base_url, or None."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        return f"not a URL ({exc})"
    if url.scheme not in ("http", "https") or not url.host:
        return "must be an http:// or https:// URL with a host"
    if url.userinfo or url.query or url.fragment:
        return "must not carry a user, a query or a fragment"
    return None


# ---------------------------------------------------------------------------- errors


class LegacyError(Exception):
    """A failure said to the user: the status we answer, a code, and one plain sentence."""

    def __init__(self, status: int, code: str, message: str, upstream_status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.upstream_status = upstream_status

    @property
    def retry_after(self) -> int | None:
        return 30 if self.status in (502, 503, 504) else None


def refused(message: str) -> LegacyError:
    return LegacyError(400, "bad_request", message)


# ---------------------------------------------------------------------------- paths


def _under_prefix(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def check_path(path: str, cfg: LegacySettings) -> str:
    """A path relative to base_url, as decoded from the request, or LegacyError 400."""
    if "%" in path:
        raise refused("the path must not contain percent-encoded characters")
    if "\\" in path:
        raise refused("the path must not contain a backslash")
    if ".." in path:
        raise refused("the path must not contain '..'")
    if "//" in path or path.startswith("/"):
        raise refused("the path must not contain '//' or start with '/'")
    if "@" in path:
        raise refused("the path must not contain '@'")
    if _CONTROL.search(path) or not _PATH_CHARS.fullmatch(path):
        raise refused("the path contains characters the old monitor's paths never have")
    if any(segment == "." for segment in path.split("/")):
        raise refused("the path must not contain '.' segments")
    if not _under_prefix(path, cfg.allowed_prefixes):
        allowed = ", ".join(cfg.allowed_prefixes) or "none"
        raise refused(f"the path {path!r} is not under the old monitor's allowed prefixes ({allowed})")
    return path


def check_query(query: str) -> str:
    if _CONTROL.search(unquote(query)):
        raise refused("the query must not contain control characters")
    if len(query) > int(settings.PANDJANGO["limits"]["max_query_string"]):
        raise refused("the query string is too long")
    return query


def target_url(cfg: LegacySettings, path: str, query: str) -> httpx.URL:
    """base_url + path + query, after checking both; the result is checked once more."""
    url = httpx.URL(cfg.base_url + check_path(path, cfg) + ("?" + check_query(query) if query else ""))
    if relative_path(cfg, url) is None:
        raise refused("the path leads outside the old monitor")
    return url


def relative_path(cfg: LegacySettings, url: httpx.URL) -> str | None:
    """The path of `url` under base_url (decoded), or None when it is elsewhere."""
    base = cfg.base
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port) or url.userinfo:
        return None
    raw = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
    base_path = base.raw_path.decode("ascii", "replace")
    if not raw.startswith(base_path):
        return None
    return unquote(raw[len(base_path):])


def proxy_url(path: str, query: str = "", fragment: str = "") -> str:
    """Our URL for a page of the old monitor."""
    url = "/legacy/" + quote(path, safe="/+,;=!$'()*&~")
    if query:
        url += "?" + query
    if fragment:
        url += "#" + fragment
    return url


# ---------------------------------------------------------------------------- tabs


def legacy_tabs(user: Any) -> list[dict[str, str]]:
    """The old monitor's tabs ([legacy.tabs], name -> path and query under base_url).

    A tab named like a section this user sees is left out: the new section replaces it.
    """
    cfg = legacy_settings()
    if cfg is None:
        return []
    shown = {name for name in SECTIONS if can_see(user, name)}
    tabs = []
    for name, target in cfg.tabs.items():
        if name.lower() in shown:
            continue
        path, _, query = target.lstrip("/").partition("?")
        tabs.append({"name": name, "url": proxy_url(path, query)})
    return tabs


def tab_problems(cfg: LegacySettings) -> dict[str, str]:
    """Tabs that the proxy would refuse, with the reason (for `manage.py sections`)."""
    problems = {}
    for name, target in cfg.tabs.items():
        path, _, query = target.lstrip("/").partition("?")
        try:
            target_url(cfg, path, query)
        except LegacyError as exc:
            problems[name] = exc.message
    return problems


def section_tab_url(section: str) -> str | None:
    """Where a section that is off is served by the old monitor: the tab of the same name."""
    cfg = legacy_settings()
    if cfg is None:
        return None
    for name, target in cfg.tabs.items():
        if name.lower() == section:
            path, _, query = target.lstrip("/").partition("?")
            return proxy_url(path, query)
    return None


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


# ---------------------------------------------------------------------------- sanitising


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "title" and not self.done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def page_title(html: str) -> str:
    parser = _TitleParser()
    parser.feed(html[:20000])
    return " ".join("".join(parser.parts).split())[:200]


def rewrite_url(value: str, page_url: str, cfg: LegacySettings, *, link: bool) -> str | None:
    """A URL found in the old monitor's page, as the user should get it: a page of the old
    monitor becomes its /legacy/ URL; a foreign page stays as it is when it is a link, and
    is dropped when it would be fetched by the browser itself (an image, a form)."""
    value = value.strip()
    if value.startswith("#"):
        return value
    scheme = urlsplit(value).scheme.lower()
    if scheme not in ("", "http", "https") and not (link and scheme == "mailto"):
        return None
    if scheme == "mailto":
        return value
    absolute = urljoin(page_url, value)
    try:
        rel = relative_path(cfg, httpx.URL(absolute))
    except httpx.InvalidURL:
        return None
    if rel is None:
        return absolute if link else None
    parts = urlsplit(absolute)
    if rel == "" and not parts.query:
        return "/legacy/" + ("#" + parts.fragment if parts.fragment else "")
    try:
        check_path(rel, cfg)
    except LegacyError:
        return None  # the proxy would refuse it: keep the text, drop the link
    return proxy_url(rel, parts.query, parts.fragment)


def sanitise(html: str, page_url: str, cfg: LegacySettings, deadline: float | None = None) -> tuple[str, str]:
    """(title, safe HTML) of an old monitor's page, its links going through /legacy/; a page
    nested deeper than MAX_DEPTH, or not sanitised by the deadline, is a LegacyError 502."""
    if nesting_depth(html, MAX_DEPTH) > MAX_DEPTH:
        message = f"The old monitor's page is nested more than {MAX_DEPTH} elements deep, too deep for the proxy to make it safe to show."
        raise LegacyError(502, "legacy_too_complex", message)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if (tag, attr) in URL_ATTRIBUTES:
            return rewrite_url(value, page_url, cfg, link=tag in ("a", "area"))
        return value

    clean = nh3.clean(
        html,
        tags=SAFE_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=SAFE_ATTRIBUTES,
        tag_attribute_values=SAFE_ATTRIBUTE_VALUES,
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto"},
    )
    if deadline is not None and time.monotonic() > deadline:
        message = f"The old monitor's page could not be made safe to show within the {cfg.timeout_seconds:g} seconds the proxy allows."
        raise LegacyError(502, "legacy_too_complex", message)
    return page_title(html), without_password_fields(clean)


# nh3's output is regular: attributes in double quotes, "<" and ">" escaped everywhere but in
# tags. A password field goes, whatever the form's method: a proxied form is a GET form, and a
# password must never end up in a URL (logs, history, the old monitor's logs).
_INPUT = re.compile(r"<input\b[^>]*>")
_PASSWORD_TYPE = re.compile(r'\stype="\s*password\s*"', re.IGNORECASE)


def without_password_fields(clean: str) -> str:
    return _INPUT.sub(lambda tag: "" if _PASSWORD_TYPE.search(tag.group()) else tag.group(), clean)


# ---------------------------------------------------------------------------- nesting depth

# How deep html5ever (nh3's parser) nests a page, found by a scan that follows its rules where
# they matter for depth: comments, raw text, quoted attributes, end tags that do not cross a
# block or a table, start tags that close an open element (li, p, td, tr, option...). Where the
# two may differ, the scan is made to count deeper rather than shallower; what it misses still
# meets the deadline checked after nh3.
_W = r"[\t\n\f\r ]"  # HTML's white space (Python's \s has more)
_NAME = r"[^\t\n\f\r />]"
_MARKUP = re.compile(
    r"<!--(?>-?>|.*?(?:--!?>|\Z))"  # a comment (<!--> and <!---> end at once)
    r"|<[!?][^>]*>?|</(?![A-Za-z])[^>]*>?"  # <!DOCTYPE>, <?...>, </ x>: bogus comments
    rf"|<(/?)([A-Za-z]{_NAME}*)"  # a tag, then its attributes, quoted values only after "="
    rf"(?>(?:{_W}|/)*(?:{_NAME}[^\t\n\f\r />=]*(?:{_W}*={_W}*(?:\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?)?)*>?",
    re.S,
)
_VOID = frozenset("area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr".split())
_RAW_TEXT = frozenset("script style textarea title xmp iframe noembed noframes".split())
_RAW_IN_SELECT = frozenset({"script", "textarea"})
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT}
_SPECIAL = frozenset(
    """address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup dd details
    dialog dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html
    iframe img input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext pre
    script search section select source style summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp
    svg math""".split()
)
_SCOPE = frozenset("applet caption html table td th marquee object template svg math".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_CLOSES_P = frozenset(
    """address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header hgroup main menu
    nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing form plaintext hr xmp dd dt li""".split()
)
_A_SCOPE = frozenset("td th caption applet object marquee template".split())
# Kinds of open elements the rules below look for, each kept as a list of where they are open.
_KINDS = {
    "special": _SPECIAL,
    "stops_li": _SPECIAL - {"address", "div", "p"},
    "scope": _SCOPE,
    "button_scope": _SCOPE | {"button"},
    "table_scope": frozenset("html table template svg math".split()),
    "a_scope": _A_SCOPE,
}
# A start tag that closes the nearest open element of a kind, if no table is nearer.
_CLOSES_IN_TABLE = {"td": ("td", "th"), "th": ("td", "th"), "tr": ("tr",), "tbody": ("tbody", "thead", "tfoot")}
_CLOSES_IN_TABLE["thead"] = _CLOSES_IN_TABLE["tfoot"] = _CLOSES_IN_TABLE["tbody"]


class _OpenElements:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, list[int]] = {}  # name -> where it is open, innermost last
        self.kinds: dict[str, list[int]] = {kind: [] for kind in _KINDS}
        self.lists_of: dict[str, list[list[int]]] = {}

    def _lists(self, name: str) -> list[list[int]]:
        lists = self.lists_of.get(name)
        if lists is None:
            lists = [self.at.setdefault(name, [])] + [self.kinds[kind] for kind, names in _KINDS.items() if name in names]
            self.lists_of[name] = lists
        return lists

    def push(self, name: str) -> None:
        i = len(self.names)
        self.names.append(name)
        for where in self._lists(name):
            where.append(i)

    def close_to(self, i: int) -> None:
        """Closes the element at i and all those inside it."""
        while len(self.names) > i:
            for where in self._lists(self.names.pop()):
                where.pop()

    def nearest(self, name: str) -> int:
        where = self.at.get(name)
        return where[-1] if where else -1

    def last(self, kind: str) -> int:
        where = self.kinds[kind]
        return where[-1] if where else -1

    def start(self, name: str) -> None:
        top = self.names[-1] if self.names else ""
        if name in _CLOSES_P and self.nearest("p") > self.last("button_scope"):
            self.close_to(self.nearest("p"))
        if name in ("li", "dd", "dt"):
            i = self.last("stops_li")
            if i >= 0 and self.names[i] in (("li",) if name == "li" else ("dd", "dt")):
                self.close_to(i)
        elif name in _CLOSES_IN_TABLE:
            i = max(self.nearest(kind) for kind in _CLOSES_IN_TABLE[name])
            if i > self.last("table_scope"):
                self.close_to(i)
        elif name in _HEADINGS and top in _HEADINGS:
            self.close_to(len(self.names) - 1)
        elif (name in ("option", "optgroup") and top == "option") or (name == "optgroup" and top == "optgroup"):
            self.close_to(len(self.names) - 1)
        elif name == "a":
            i = self.nearest("a")
            if i > self.last("a_scope") and i > self.last("special"):
                self.close_to(i)
        self.push(name)

    def end(self, name: str) -> None:
        i = self.nearest(name)
        if i >= 0 and (self.last("scope") <= i if name in _SPECIAL else self.last("special") < i):
            self.close_to(i)

    def raw_text_ends(self, name: str) -> bool:
        """Whether the element just opened holds text up to its end tag, not markup."""
        if name not in _RAW_TEXT or self.at.get("svg") or self.at.get("math"):
            return False
        return name in _RAW_IN_SELECT or not self.at.get("select")


def nesting_depth(html: str, limit: int) -> int:
    """How deep the page nests, counted up to just past `limit`."""
    open_elements = _OpenElements()
    deepest = pos = 0
    while match := _MARKUP.search(html, pos):
        pos = match.end()
        slash, name = match.group(1, 2)
        if name is None:
            continue
        name = name.lower()
        if slash:
            open_elements.end(name)
        elif name not in _VOID:
            open_elements.start(name)
            deepest = max(deepest, len(open_elements.names))
            if deepest > limit:
                break
            if open_elements.raw_text_ends(name):
                end = _RAW_TEXT_END[name].search(html, pos)
                if end is not None:  # without one, the rest is scanned as markup: deeper, not shallower
                    pos = end.start()
    return deepest


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


def _cache_call(method: Any, *args: Any) -> Any:
    # The cache is optional: down, or refusing a large page, it reads as a miss.
    try:
        return method(*args)
    except Exception as exc:  # noqa: BLE001 - any backend's failure
        log.warning("legacy page cache unavailable (%s: %s)", type(exc).__name__, exc)
        return None
