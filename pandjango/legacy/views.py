"""/legacy/<path>?<query>: the old monitor's pages inside Pandjango's frame (pandjango/legacy/
does the fetching and the sanitising). Failures say what went wrong, with the status: a
page for people, JSON for API clients (Accept: application/json)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pandjango.api import errors, output
from pandjango.legacy.fetch import forwarded_headers, load_page
from pandjango.legacy.paths import LegacyError, LegacySettings, check_base_url, legacy_settings, legacy_tabs
from pandjango.pages import frame_context

log = logging.getLogger("pandjango.legacy")

# The old monitor's content is sanitised; this is the second lock on the door.
LEGACY_CSP = "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-src 'none'"


def legacy_page(request: HttpRequest, path: str) -> HttpResponse:
    cfg = legacy_settings()
    if cfg is None:
        message = "No old monitor is configured here (legacy.base_url is empty), so there are no legacy pages."
        return failure(request, LegacyError(404, "legacy_not_configured", message))
    problem = check_base_url(cfg.base_url)
    if problem:
        log.error("legacy.base_url %s", problem)
        return failure(request, LegacyError(503, "legacy_misconfigured", f"The old monitor's address in the configuration (legacy.base_url) {problem}."))
    if request.method not in ("GET", "HEAD"):
        response = failure(request, LegacyError(405, "method_not_allowed", "The old monitor is read through Pandjango with GET and HEAD only."))
        response["Allow"] = "GET, HEAD"
        return response
    query = request.META.get("QUERY_STRING", "")
    if not path and not query:
        return legacy_index(request, cfg)
    headers = forwarded_headers(request.META, request.get_host(), request.scheme or "http")
    try:
        page, cached = load_page(cfg, path, query, request.user, headers)
    except LegacyError as exc:
        if exc.status >= 500:
            log.warning("legacy %s?%s: %s", path, query, exc.message)
        return failure(request, exc)
    if page.kind == "image":
        response = HttpResponse(page.image, content_type=page.content_type)
        response["Content-Security-Policy"] = "default-src 'none'"
    else:
        context = frame_context(request, "", page=page, legacy_path=path, legacy_tabs=legacy_tabs(request.user))
        response = render(request, "legacy.html", context)
        response["Content-Security-Policy"] = LEGACY_CSP
    response["X-Cache"] = "HIT" if cached else "MISS"
    response["Cache-Control"] = f"private, max-age={cfg.cache_lifetime}"
    return response


def legacy_index(request: HttpRequest, cfg: LegacySettings) -> HttpResponse:
    context = frame_context(request, "", page=None, legacy_path="", legacy_tabs=legacy_tabs(request.user))
    return render(request, "legacy.html", context)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


def failure(request: HttpRequest, exc: LegacyError) -> HttpResponse:
    if _wants_json(request):
        body = errors.error_body(exc.status, exc.code, exc.message)
        if exc.upstream_status is not None:
            body["error"]["upstream_status"] = exc.upstream_status
        response = HttpResponse(output.dumps(body), status=exc.status, content_type="application/json")
    else:
        context = frame_context(request, "", page=None, error=exc, legacy_path=request.path, legacy_tabs=legacy_tabs(request.user))
        response = render(request, "legacy.html", context, status=exc.status)
        response["Content-Security-Policy"] = LEGACY_CSP
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    response["Cache-Control"] = "no-store"
    return response
