"""The company sign-in methods read from the environment (docs/sign-in.md, docs/configuration.md).

No Django models here: ``xietong.settings`` imports it. A method is on when
its client id and secret are given (WeCom: its AgentId, with the corp id and
secret); a method half configured stops start-up naming the variable missing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from xietong.lib.env import env_bool, env_list, env_str

# The provider id of the one generic OpenID Connect app: its URLs are /accounts/oidc/oidc/login/ ….
OIDC_ID = "oidc"


def _pair(prefix: str, id_name: str, secret_name: str) -> tuple[str, str] | None:
    client_id = env_str(f"{prefix}_{id_name}", "")
    secret = env_str(f"{prefix}_{secret_name}", "")
    if not client_id and not secret:
        return None
    if not client_id or not secret:
        missing = f"{prefix}_{id_name}" if not client_id else f"{prefix}_{secret_name}"
        raise ImproperlyConfigured(f"{missing} is required when the other {prefix}_* variables are set")
    return client_id, secret


def _url(name: str, default: str) -> str:
    value = env_str(name, default).rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"{name}={value!r} is not an http(s) address")
    return value


def social_providers_from_env() -> dict[str, dict[str, Any]]:
    """Return ``SOCIALACCOUNT_PROVIDERS`` for the methods whose variables are set."""
    providers: dict[str, dict[str, Any]] = {}
    oidc = _pair("XIETONG_OIDC", "CLIENT_ID", "CLIENT_SECRET")
    if oidc:
        server_url = env_str("XIETONG_OIDC_SERVER_URL", "")
        if not server_url:
            raise ImproperlyConfigured("XIETONG_OIDC_SERVER_URL is required with XIETONG_OIDC_CLIENT_ID")
        _url("XIETONG_OIDC_SERVER_URL", server_url)
        providers["openid_connect"] = {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": OIDC_ID,
                    "name": env_str("XIETONG_OIDC_NAME", ""),
                    "client_id": oidc[0],
                    "secret": oidc[1],
                    "settings": {
                        "server_url": server_url,
                        "oauth_pkce_enabled": env_bool("XIETONG_OIDC_PKCE", True),
                        "scope": env_list("XIETONG_OIDC_SCOPES", ["openid", "profile", "email"]),
                        # Where the authorisation page is when not on the server's origin (CSP form-action).
                        "authorize_origin": env_str("XIETONG_OIDC_AUTHORIZE_ORIGIN", ""),
                    },
                }
            ],
        }
    # DingTalk and Feishu share their app's credentials with the directory sync: *_SIGNIN=0 keeps
    # the sign-in button off where the app only reads the directory.
    dingtalk = _pair("XIETONG_DINGTALK", "CLIENT_ID", "CLIENT_SECRET")
    if dingtalk and env_bool("XIETONG_DINGTALK_SIGNIN", True):
        providers["dingtalk"] = {
            "APPS": [{"client_id": dingtalk[0], "secret": dingtalk[1]}],
            "NAME": env_str("XIETONG_DINGTALK_NAME", ""),
            "LOGIN_URL": _url("XIETONG_DINGTALK_LOGIN_URL", "https://login.dingtalk.com"),
            "API_URL": _url("XIETONG_DINGTALK_API_URL", "https://api.dingtalk.com"),
            # DingTalk's e-mail is the person's own (not checked): linking by it is opt-in.
            "TRUST_EMAIL": env_bool("XIETONG_DINGTALK_TRUST_EMAIL", False),
        }
    feishu = _pair("XIETONG_FEISHU", "APP_ID", "APP_SECRET")
    if feishu and env_bool("XIETONG_FEISHU_SIGNIN", True):
        providers["feishu"] = {
            "APPS": [{"client_id": feishu[0], "secret": feishu[1]}],
            "NAME": env_str("XIETONG_FEISHU_NAME", ""),
            "API_URL": _url("XIETONG_FEISHU_API_URL", "https://open.feishu.cn"),
        }
    # WeCom sign-in is on with its app's AgentId: the corp id and secret alone may serve the
    # directory sync only (docs/directory-sync.md).
    agent_id = env_str("XIETONG_WECOM_AGENT_ID", "")
    if agent_id:
        corp_id, secret = env_str("XIETONG_WECOM_CORP_ID", ""), env_str("XIETONG_WECOM_SECRET", "")
        if not corp_id or not secret:
            missing = "XIETONG_WECOM_CORP_ID" if not corp_id else "XIETONG_WECOM_SECRET"
            raise ImproperlyConfigured(f"{missing} is required with XIETONG_WECOM_AGENT_ID (WeCom sign-in)")
        providers["wecom"] = {
            "APPS": [{"client_id": corp_id, "secret": secret, "key": agent_id}],
            "NAME": env_str("XIETONG_WECOM_NAME", ""),
            "API_URL": _url("XIETONG_WECOM_API_URL", "https://qyapi.weixin.qq.com"),
            "OAUTH_URL": _url("XIETONG_WECOM_OAUTH_URL", "https://open.weixin.qq.com"),
            "SSO_URL": _url("XIETONG_WECOM_SSO_URL", "https://login.work.weixin.qq.com"),
        }
    return providers
