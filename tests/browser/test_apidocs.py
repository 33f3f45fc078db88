"""/api/docs/: Swagger UI over /api/schema/ in Chromium, under our Content-Security-Policy,
with every file from our own server."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Request

from pandjango.edge.securityheaders import CONTENT_SECURITY_POLICY

from .conftest import BROWSER_MARKS, Console, screenshot

pytestmark = BROWSER_MARKS


def test_the_api_browser_lists_the_endpoints_under_our_policy_with_nothing_from_elsewhere(page: Page, console: Console, live_server: Any) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if isinstance(request, Request) else None)
    response = page.goto("/api/docs/")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector(".opblock-summary-path", timeout=30000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/production/jobs/" in [p.replace("\u200b", "") for p in paths]
    page.locator(".opblock-summary", has_text="/api/production/jobs/summary/").first.click()
    page.wait_for_selector(".opblock.is-open .parameters")
    screenshot(page, "api-docs")
    assert console.errors == []
    assert asked and all(url.startswith(live_server.url) for url in asked), [u for u in asked if not u.startswith(live_server.url)]
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle" in url for url in asked)
    assert any(url.endswith("/api/schema/") for url in asked)
