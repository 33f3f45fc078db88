"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, never a downloaded
browser) against pytest-django's live server, which serves the seeded test database and the
static files (ours and node_modules' through STATICFILES_DIRS).

They run in the SQLite run only: every module carries BROWSER_MARKS (`browser`, and
transactional database access, since the live server must read what a test writes; the
PanDA tables are unmanaged, so the flush after each test leaves the seeded data alone).
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the test code's own database
# calls (fixtures) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.conf import settings as django_settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "panda"])]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is not installed (make test installs it: tests/system-deps.sh)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


class Console:
    """The browser's console errors and uncaught exceptions during one test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"uncaught: {error}")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def new_page(browser: Browser, live_server: Any, console: Console) -> Iterator[Callable[..., Page]]:
    """new_page(user=None) -> a page in a fresh browser context (no history, no cookies),
    signed in as `user` when given. The base URL is the live server's."""
    contexts: list[BrowserContext] = []

    def make(user: User | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)  # type: ignore[arg-type]
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(20000)
        page.on("console", console.on_message)
        page.on("pageerror", console.on_page_error)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def staff(transactional_db: Any) -> User:
    return User.objects.create_user("shifter", "shifter@example.org", "pw", is_staff=True)


@pytest.fixture
def staff_page(new_page: Callable[..., Page], staff: User) -> Page:
    return new_page(staff)


def wait_ready(page: Page, section: str) -> None:
    """Waits until the view in the section's panel has drawn the answers it asked for."""
    page.wait_for_selector(f"#pj-panel-{section}[data-state='ready'] .pj-title", state="attached")
    page.wait_for_function(f"document.querySelector('#pj-panel-{section}').getAttribute('data-state') === 'ready'")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
