"""The second factor in Chromium: turning an authenticator app on, then signing in with its code.

allauth's pages render inside the site's layout under its Content-Security-Policy
(the page fixture fails on any console error or refused request).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import make_person

pytestmark = pytest.mark.browser


def code(secret: str, ahead: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + ahead))


def test_turn_totp_on_and_sign_in_with_the_code(page: Any, base_url: str, settings: Any) -> None:
    # One period of tolerance: the sign-in uses the next period's code, not the one just used.
    settings.MFA_TOTP_TOLERANCE = 1
    make_person("ann")
    sign_in(page, "ann")
    page.locator("header details.xt-account-menu > summary").click()  # the account menu (base.html)
    page.get_by_role("link", name="两步验证").click()
    expect(page).to_have_url(f"{base_url}/accounts/2fa/")
    page.goto("/accounts/2fa/totp/activate/")
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("input[name=password]").fill("pw-ann")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(code(secret))
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/activate/"))
    assert Authenticator.objects.filter(user__username="ann", type="totp").exists()

    page.locator("header details.xt-account-menu > summary").click()  # the account menu (base.html)
    page.get_by_role("button", name="退出").click()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("ann")
    page.locator("#id_password").fill("pw-ann")
    page.locator("button.primary").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(code(secret, ahead=1))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator(".who")).to_have_text("ann")
