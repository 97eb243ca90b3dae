"""The API docs page (Swagger UI) in a real browser, under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_runs_under_the_csp(page: Page) -> None:
    response = page.goto("/api/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI drew the operations: it read the spec and ran without inline script or style
    # (the page fixture fails the test on any console error or failed request).
    page.locator('[data-path="/api/collaborations/{slug}/tasks"]').first.wait_for(timeout=15_000)
