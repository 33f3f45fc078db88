"""/api/docs/: the API browser's page, its script and its files are ours, and the landing page links to it."""

from __future__ import annotations

import re

from django.test import Client


def test_the_api_browser_and_its_files_come_from_us(anon_client: Client) -> None:
    page = anon_client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert "<style" not in html and not re.search(r"<script>", html)
    script = anon_client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_landing_page_links_to_the_api_browser(anon_client: Client) -> None:
    assert 'href="/api/docs/"' in anon_client.get("/").content.decode()
