"""What a person sees in the browser when the PanDA database is down (a message in place of
the data, and the data again once it is back), and that the Content-Security-Policy blocks
nothing the pages need: every view, a job, the search and a legacy page, with no violation
reported."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from pandjango.edge.securityheaders import CONTENT_SECURITY_POLICY
from pandjango.legacy.standin import StandinServer
from pandjango.pandadb.models import JobsArchived4
from tests.legacy_helpers import proxy_to

from .conftest import BROWSER_MARKS, Console, wait_ready

pytestmark = BROWSER_MARKS

VIEWS = {
    "autopilot": ["pilots/", "queues/", "submithosts/", "services/", "pilottypes/", "info/"],
    "production": ["jobs/", "tasks/", "errors/", "jobs/?jobstatus=failed&hours=24"],
    "sites": ["", "clouds/"],
    "stats": ["jobs/", "timeseries/", "sites/"],
}
# Every violation of the policy, as the browser reports it to the page.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def watched(staff_page: Page) -> Page:
    staff_page.add_init_script(RECORD_VIOLATIONS)
    return staff_page


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__csp"))


def test_no_view_breaks_the_content_security_policy(watched: Page, console: Console) -> None:
    page = watched
    response = page.goto("/production/jobs/")
    assert response is not None and response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for section, views in VIEWS.items():
        for view in views:
            page.goto(f"/{section}/{view}")
            wait_ready(page, section)
            assert violations(page) == [], f"/{section}/{view}"
    pandaid = JobsArchived4.objects.values_list("pandaid", flat=True).first()
    page.goto(f"/production/jobs/{pandaid}/")
    wait_ready(page, "production")
    page.fill(".pj-search input[name=q]", "ANALY")
    page.press(".pj-search input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    assert not [e for e in console.errors if "Content Security Policy" in e], console.errors


def test_a_legacy_page_breaks_no_policy_either(watched: Page, old_monitor: StandinServer, pandjango_config: Callable[[str, Any], None]) -> None:
    proxy_to(pandjango_config, old_monitor, tabs={"Clouds": "query?dash=clouds"})
    watched.goto("/legacy/query?dash=clouds")
    expect(watched.locator("#pj-panel-legacy")).to_be_visible()
    watched.wait_for_load_state("networkidle")
    assert violations(watched) == []


@pytest.fixture
def panda_down(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """The PanDA database out of reach for the live server (its file is now a directory);
    calling the fixture's value brings it back."""
    settings_dict = connections["panda"].settings_dict  # shared with the live server's threads
    saved = dict(settings_dict)
    settings_dict["NAME"] = str(tmp_path)

    def back() -> None:
        settings_dict.update(saved)

    yield back
    back()


def test_with_the_database_down_the_page_says_so_and_shows_the_data_once_it_is_back(page: Page, panda_down: Callable[[], None]) -> None:
    page.goto("/production/jobs/")
    wait_ready(page, "production")
    box = page.locator("#pj-panel-production .pj-error-box").first
    expect(box).to_contain_text("Error 503")
    expect(box).to_contain_text("the PanDA database is unavailable; retry later")
    expect(box).to_contain_text("Try again in 30 s.")
    panda_down()
    page.reload()
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-error-box")).to_have_count(0)
    expect(page.locator("#pj-panel-production table tbody tr").first).to_be_visible()
