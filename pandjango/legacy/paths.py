"""The legacy proxy's settings and the paths it may fetch: only under the configured prefixes, never out of the old monitor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx
from django.conf import settings

from pandjango.sections import SECTIONS, can_see

# Path characters the old monitor's URLs need; "%" is not one of them, so a path that was
# percent-encoded twice (%252e%252e) never gets through as "..".
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~/+,;=!$'()*&-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    # an httpx.URL's raw path is ASCII: httpx percent-encodes every other character
    raw = url.raw_path.partition(b"?")[0].decode()
    base_path = base.raw_path.decode()
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
