"""The old monitor's pages inside our frame: its tabs beside the sections', the right one
active, and moving between the two kinds of page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pandjango.legacy.standin import StandinServer
from tests.legacy_helpers import proxy_to

from .conftest import BROWSER_MARKS, Console, screenshot, wait_ready

pytestmark = BROWSER_MARKS


@pytest.fixture
def legacy(old_monitor: StandinServer, pandjango_config: Callable[[str, Any], None]) -> StandinServer:
    proxy_to(pandjango_config, old_monitor, tabs={"Clouds": "query?dash=clouds", "Tasks": "query?mode=listtasks"})
    return old_monitor


def test_a_legacy_page_sits_in_the_frame_under_its_own_tab(page: Page, legacy: StandinServer, console: Console) -> None:
    page.goto("/legacy/query?dash=clouds")
    tabs = page.locator("#pj-tabs > ul > li")
    expect(tabs).to_have_text(["Autopilot", "Production", "Sites", "Stats", "Clouds", "Tasks"])
    expect(page.locator("#pj-tabs li.ui-tabs-active")).to_have_text("Clouds")
    expect(page.locator("#pj-panel-legacy")).to_be_visible()
    screenshot(page, "legacy-clouds")

    page.click("#pj-tabs a:has-text('Sites')")
    page.wait_for_url("**/sites/")
    wait_ready(page, "sites")
    page.click("#pj-tabs a:has-text('Tasks')")
    page.wait_for_url("**/legacy/query?mode=listtasks")
    expect(page.locator("#pj-tabs li.ui-tabs-active")).to_have_text("Tasks")
    page.go_back()
    page.wait_for_url("**/sites/")
    wait_ready(page, "sites")
    assert console.errors == []
