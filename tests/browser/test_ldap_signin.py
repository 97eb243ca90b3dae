"""Signing in with the directory password in Chromium, against a real slapd (issue 18, LDAP)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.servers_ldap import Ldap, ldap_config, use_ldap
from xietong.orgs.models import Person, PersonSource

pytestmark = pytest.mark.browser


@pytest.fixture
def directory(slapd_server: Ldap, settings: SettingsWrapper) -> Iterator[Ldap]:
    use_ldap(settings, ldap_config(slapd_server))
    yield slapd_server
    slapd_server.restore()


def submit(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("button.primary").click()


def test_a_directory_person_signs_in_through_the_login_page(page: Page, directory: Ldap) -> None:
    submit(page, "ligong", "wrong")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确。")
    expect(page.locator("#id_username")).to_have_value("ligong")  # what was typed stays
    submit(page, "ligong", "pw-ligong")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("body")).to_contain_text("李工")
    person = Person.objects.select_related("department").get(username="ligong")
    assert person.source == PersonSource.LDAP
    assert person.department is not None and person.department.name == "技术部"


def test_an_unreachable_directory_says_so(page: Page, slapd_server: Ldap, settings: SettingsWrapper) -> None:
    use_ldap(settings, ldap_config(None))
    submit(page, "ligong", "pw-ligong")
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("main, body").first).to_contain_text("暂时无法连接目录服务(LDAP)")
    assert page.url.endswith("/accounts/login/")
