"""Browser tests: Playwright (sync API) driving the system's Chromium against a live server.

No browser is ever downloaded: the tests use Debian's ``/usr/bin/chromium``
(or ``XIETONG_CHROMIUM``). Without it the whole directory is skipped, except
in CI (``CI`` set), where a missing browser is a failure.

Every test gets a fresh browser context (1280x900, zh-CN) and fails when the
page logged a JavaScript error or a request failed (status >= 400, except
``/favicon.ico``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make to set up data must not be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Auto-waiting assertions give up after this long (the pages answer in milliseconds).
EXPECT_TIMEOUT_MS = 10_000
IGNORED_PATHS = re.compile(r"/favicon\.ico$")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium against a live server (tests/browser)"
    )


@dataclass
class BrowserErrors:
    """What went wrong in the page: JavaScript errors, console errors, failed requests."""

    messages: list[str] = field(default_factory=list)

    def on_console(self, msg: Any) -> None:
        url = msg.location.get("url", "")
        if msg.type == "error" and not IGNORED_PATHS.search(url):
            self.messages.append(f"console.error: {msg.text} ({url})")

    def on_page_error(self, error: Any) -> None:
        self.messages.append(f"JavaScript error: {error}")

    def on_response(self, response: Any) -> None:
        if response.status >= 400 and not IGNORED_PATHS.search(response.url.split("?")[0]):
            self.messages.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def on_request_failed(self, request: Any) -> None:
        # ERR_ABORTED: the page navigated away before the request ended (a favicon or an image
        # still loading when a button moved on): the browser cancelled it, nothing was refused.
        if "ERR_ABORTED" in (request.failure or ""):
            return
        if not IGNORED_PATHS.search(request.url.split("?")[0]):
            self.messages.append(f"request failed: {request.method} {request.url} ({request.failure})")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install it with `apt-get install chromium fonts-noto-cjk`"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=not os.environ.get("XIETONG_HEADED"),  # XIETONG_HEADED=1 shows the window
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Any, transactional_db: None, base_url: str, tmp_path: Path
) -> Generator[Any]:
    """A page in a fresh context; the test fails if the page reported an error."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=base_url)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    errors = BrowserErrors()
    page.on("console", errors.on_console)
    page.on("pageerror", errors.on_page_error)
    page.on("response", errors.on_response)
    page.on("requestfailed", errors.on_request_failed)
    request.node.browser_errors = errors
    request.node.browser_page = page
    yield page
    report = getattr(request.node, "browser_call_report", None)
    notes = list(errors.messages)
    if report is not None and report.failed and not page.is_closed():
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        notes.append(f"screenshot of the page at the failure: {shot} ({page.url})")
    context.close()
    if notes:
        request.node.add_report_section("teardown", "browser", "\n".join(notes))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Keep the call's report on the item, so that the page fixture knows whether the test failed."""
    report = yield
    if report.when == "call":
        item.browser_call_report = report  # type: ignore[attr-defined]
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a browser test whose page logged a JavaScript error or a failed request."""
    result = yield
    errors: BrowserErrors | None = getattr(item, "browser_errors", None)
    page = getattr(item, "browser_page", None)
    if errors is None or page is None:
        return result
    if not page.is_closed():
        page.evaluate("0")  # let Playwright deliver the events still queued
    if errors.messages:
        pytest.fail("the page reported errors:\n" + "\n".join(errors.messages), pytrace=False)
    return result


def sign_in(page: Any, username: str, password: str | None = None) -> None:
    """Sign in through the real login form (people from ``make_person`` have ``pw-<username>``)."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password or f"pw-{username}")
    page.locator("button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def login(page: Any) -> Callable[..., None]:
    """``login(person_or_username)``: sign in on ``page`` through the login form."""

    def do_login(who: Any, password: str | None = None) -> None:
        sign_in(page, who if isinstance(who, str) else who.username, password)

    return do_login
