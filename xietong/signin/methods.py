"""The company sign-in methods configured (``SOCIALACCOUNT_PROVIDERS``), as the login page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from xietong.signin.config import OIDC_ID

# Display order on the login page.
ORDER = ["wecom", "dingtalk", "feishu", "openid_connect"]


@dataclass(frozen=True)
class Method:
    provider: str  # allauth's provider class id
    name: str
    login_url: str


def default_name(provider: str) -> str:
    return {
        "wecom": _("企业微信"),
        "dingtalk": _("钉钉"),
        "feishu": _("飞书"),
        "openid_connect": _("统一身份认证"),
    }.get(provider, provider)


def method_name(provider: str) -> str:
    """The name of a method as people see it: the one configured (XIETONG_<METHOD>_NAME), else ours."""
    config = settings.SOCIALACCOUNT_PROVIDERS.get(provider, {})
    if provider == "openid_connect":
        apps = config.get("APPS") or [{}]
        return str(apps[0].get("name") or default_name(provider))
    return str(config.get("NAME") or default_name(provider))


def configured_methods() -> list[Method]:
    """Return the methods with an app configured, in the login page's order."""
    methods = []
    for provider in ORDER:
        config = settings.SOCIALACCOUNT_PROVIDERS.get(provider)
        if not config or not config.get("APPS"):
            continue
        if provider == "openid_connect":
            url = reverse("openid_connect_login", kwargs={"provider_id": OIDC_ID})
        else:
            url = reverse(f"{provider}_login")
        methods.append(Method(provider, method_name(provider), url))
    return methods


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def provider_origins() -> list[str]:
    """Return the origins the sign-in buttons send the browser to (its authorisation pages).

    The pages' Content-Security-Policy allows forms to post only to the site
    (``form-action 'self'``), and Chromium applies that to the redirect that
    follows a post: the login and invitation pages add these origins.
    """
    providers = settings.SOCIALACCOUNT_PROVIDERS
    urls: list[str] = []
    for app in providers.get("openid_connect", {}).get("APPS", []):
        urls.append(app.get("settings", {}).get("server_url", ""))
        urls.append(app.get("settings", {}).get("authorize_origin", ""))
    urls.append(providers.get("dingtalk", {}).get("LOGIN_URL", ""))
    urls.append(providers.get("feishu", {}).get("API_URL", ""))
    urls += [providers.get("wecom", {}).get(key, "") for key in ("SSO_URL", "OAUTH_URL")]
    return sorted({origin for url in urls if url and (origin := _origin(url))})
