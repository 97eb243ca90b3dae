"""Company sign-in through OpenID Connect, in Chromium, against a real provider.

The provider is panva's ``oidc-provider`` (tests/oidc/server.mjs) on a free
loopback port: discovery, the authorisation-code flow with PKCE (S256; the
provider refuses a request without a code challenge), the token endpoint
(client_secret_post), the ID token signed with its keys and the userinfo
endpoint. Nothing of the flow is imitated on our side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from tests.oidc.provider import OidcProvider, oidc_provider
from xietong.orgs.invitations import NewPerson, do_invite_person
from xietong.orgs.models import AccountInvitation, Person, PersonSource
from xietong.signin.config import social_providers_from_env

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "alice": {
        "password": "alice-pw",
        "sub": "sub-alice",
        "email": "alice@corp.example",
        "email_verified": True,
        "name": "Alice 李",
    },
    "bob": {
        "password": "bob-pw",
        "sub": "sub-bob",
        "email": "bob@corp.example",
        "email_verified": False,
        "name": "Bob 王",
    },
}


@pytest.fixture
def oidc(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcProvider]:
    """The provider running, and the site configured for it through the environment (docs/sign-in.md)."""
    callback = f"{live_server.url}/accounts/oidc/oidc/login/callback/"
    with oidc_provider(callback, ACCOUNTS) as provider:
        monkeypatch.setenv("XIETONG_OIDC_NAME", "公司统一身份")
        monkeypatch.setenv("XIETONG_OIDC_SERVER_URL", provider.issuer)
        monkeypatch.setenv("XIETONG_OIDC_CLIENT_ID", provider.client_id)
        monkeypatch.setenv("XIETONG_OIDC_CLIENT_SECRET", provider.client_secret)
        settings.SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
        yield provider


def sign_in_with_oidc(page: Any, login: str, password: str, *, consent: bool = True) -> None:
    page.goto("/accounts/login/")
    with page.expect_request(re.compile(r"127\.0\.0\.1:\d+/auth\?")) as authorization:
        page.get_by_role("button", name="通过公司统一身份登录").click()
    query = parse_qs(urlsplit(authorization.value.url).query)
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # BASE64URL(SHA-256(verifier)), RFC 7636
    expect(page.locator("h1")).to_have_text("Company sign-in")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("#sign-in").click()
    if consent:
        page.locator("#allow").click()


def sign_out(page: Any) -> None:
    page.locator("header details.xt-account-menu > summary").click()  # the account menu (base.html)
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_first_sign_in_creates_the_person_and_the_next_one_finds_them(
    page: Any, base_url: str, oidc: OidcProvider
) -> None:
    sign_in_with_oidc(page, "alice", "alice-pw")
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator(".who")).to_have_text("Alice 李")
    alice = Person.objects.get(email="alice@corp.example")
    assert alice.source == PersonSource.OIDC and alice.display_name == "Alice 李"
    assert not alice.has_usable_password()
    assert SocialAccount.objects.get(user=alice).uid == "sub-alice"

    sign_out(page)
    # The provider remembers the browser (its session and the grant): straight back home.
    page.get_by_role("button", name="通过公司统一身份登录").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator(".who")).to_have_text("Alice 李")
    assert Person.objects.filter(email="alice@corp.example").count() == 1
    assert SocialAccount.objects.count() == 1


def test_a_verified_email_signs_the_invited_person_in(
    page: Any, base_url: str, oidc: OidcProvider, admin_user: Person
) -> None:
    issued = do_invite_person(NewPerson("李爱丽", email="Alice@corp.example"), actor=admin_user)
    sign_in_with_oidc(page, "alice", "alice-pw")
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator(".who")).to_have_text("李爱丽")
    invited = issued.invitation.person
    assert SocialAccount.objects.get(uid="sub-alice").user == invited
    assert Person.objects.filter(email__iexact="alice@corp.example").count() == 1
    # Signing in used the invitation up: its link no longer works.
    assert AccountInvitation.objects.get(pk=issued.invitation.pk).accepted_at is not None


def test_an_unverified_email_links_nobody(
    page: Any, base_url: str, oidc: OidcProvider, admin_user: Person
) -> None:
    issued = do_invite_person(NewPerson("王小波", email="bob@corp.example"), actor=admin_user)
    sign_in_with_oidc(page, "bob", "bob-pw")
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator(".who")).to_have_text("Bob 王")
    newcomer = SocialAccount.objects.get(uid="sub-bob").user
    assert newcomer != issued.invitation.person
    assert newcomer.email == ""  # bob's address is the invited person's; the provider did not verify it
    assert AccountInvitation.objects.get(pk=issued.invitation.pk).accepted_at is None
