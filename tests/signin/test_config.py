"""The company sign-in methods read from the environment (docs/sign-in.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from xietong.signin.config import social_providers_from_env

VARIABLES = [
    "XIETONG_OIDC_CLIENT_ID", "XIETONG_OIDC_CLIENT_SECRET", "XIETONG_OIDC_SERVER_URL", "XIETONG_OIDC_NAME",
    "XIETONG_DINGTALK_CLIENT_ID", "XIETONG_DINGTALK_CLIENT_SECRET", "XIETONG_DINGTALK_SIGNIN",
    "XIETONG_FEISHU_APP_ID", "XIETONG_FEISHU_APP_SECRET", "XIETONG_FEISHU_SIGNIN",
    "XIETONG_WECOM_CORP_ID", "XIETONG_WECOM_SECRET", "XIETONG_WECOM_AGENT_ID",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_nothing_configured_means_only_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    assert social_providers_from_env() == {}


def test_oidc_with_pkce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIETONG_OIDC_CLIENT_ID", "xietong")
    monkeypatch.setenv("XIETONG_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("XIETONG_OIDC_SERVER_URL", "https://sso.example.com/realms/corp")
    app = social_providers_from_env()["openid_connect"]["APPS"][0]
    assert app["provider_id"] == "oidc" and app["settings"]["oauth_pkce_enabled"] is True
    assert app["settings"]["server_url"] == "https://sso.example.com/realms/corp"


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"XIETONG_OIDC_CLIENT_ID": "x"}, "XIETONG_OIDC_CLIENT_SECRET"),
        ({"XIETONG_OIDC_CLIENT_ID": "x", "XIETONG_OIDC_CLIENT_SECRET": "y"}, "XIETONG_OIDC_SERVER_URL"),
        ({"XIETONG_FEISHU_APP_SECRET": "y"}, "XIETONG_FEISHU_APP_ID"),
        ({"XIETONG_WECOM_AGENT_ID": "1000002", "XIETONG_WECOM_CORP_ID": "ww1"}, "XIETONG_WECOM_SECRET"),
    ],
)
def test_a_half_configured_method_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, str], named: str
) -> None:
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=named):
        social_providers_from_env()


def test_credentials_shared_with_the_directory_sync_need_not_show_a_button(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XIETONG_WECOM_CORP_ID", "ww1")
    monkeypatch.setenv("XIETONG_WECOM_SECRET", "s")  # no AgentId: the sync's credentials only
    monkeypatch.setenv("XIETONG_FEISHU_APP_ID", "cli_1")
    monkeypatch.setenv("XIETONG_FEISHU_APP_SECRET", "s")
    monkeypatch.setenv("XIETONG_FEISHU_SIGNIN", "0")
    assert social_providers_from_env() == {}


@pytest.mark.django_db
def test_the_login_page_in_english(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    monkeypatch.setenv("XIETONG_WECOM_CORP_ID", "ww1")
    monkeypatch.setenv("XIETONG_WECOM_SECRET", "s")
    monkeypatch.setenv("XIETONG_WECOM_AGENT_ID", "1000002")
    monkeypatch.setenv("XIETONG_OIDC_CLIENT_ID", "x")
    monkeypatch.setenv("XIETONG_OIDC_CLIENT_SECRET", "y")
    monkeypatch.setenv("XIETONG_OIDC_SERVER_URL", "https://sso.example.com")
    settings.SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
    client = Client(headers={"Accept-Language": "en"})
    client.cookies["django_language"] = "en"
    answer = client.get("/accounts/login/")
    page = answer.content.decode()
    assert "Or sign in with your company account" in page
    assert "Sign in with WeCom" in page and "Sign in with company single sign-on" in page
    # The buttons post to the providers' pages: the page's CSP lets its forms go there.
    csp = answer["Content-Security-Policy"]
    assert "https://sso.example.com" in csp and "https://login.work.weixin.qq.com" in csp
