"""WeCom (企业微信) web sign-in, as allauth's OAuth2 adapter over WeCom's own documented calls.

- Inside the WeCom app (a ``wxwork`` browser): 构造网页授权链接,
  https://developer.work.weixin.qq.com/document/path/91335:
  ``{OAUTH_URL}/connect/oauth2/authorize?appid=CORPID&redirect_uri=…&response_type=code&scope=snsapi_base&state=…&agentid=AGENTID#wechat_redirect``.
- In any other browser: 构造企业微信登录链接 (the QR code page),
  https://developer.work.weixin.qq.com/document/path/98151:
  ``{SSO_URL}/wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID&redirect_uri=…&state=…``.
- Both come back with ``?code=…&state=…``. Then 获取access_token
  (https://developer.work.weixin.qq.com/document/path/91039): ``GET {API_URL}/cgi-bin/gettoken?corpid&corpsecret``;
  获取访问用户身份 (https://developer.work.weixin.qq.com/document/path/91437, 98176):
  ``GET {API_URL}/cgi-bin/auth/getuserinfo?access_token&code`` → ``userid`` (a member) or ``openid`` (not one);
  读取成员 (https://developer.work.weixin.qq.com/document/path/90196): ``GET {API_URL}/cgi-bin/user/get?access_token&userid``.

Every answer carries ``errcode`` (0: success) and ``errmsg``; an error stops the sign-in
with allauth's error page, and who is not a member of the company is refused.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from django.http import HttpRequest
from django.utils.http import urlencode

from xietong.signin.hosts import provider_setting


def _host(key: str, default: str) -> str:
    return provider_setting("wecom", key, default)


def api_url() -> str:
    return _host("API_URL", "https://qyapi.weixin.qq.com")


def _get(path: str, params: dict[str, str]) -> dict[str, Any]:
    """GET a WeCom API call; return its answer or raise ``OAuth2Error`` with its errcode and errmsg."""
    with get_adapter().get_requests_session() as session:
        response = session.get(api_url() + path, params=params)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
    if data.get("errcode", 0) != 0:
        raise OAuth2Error(f"WeCom {path}: errcode {data.get('errcode')}: {data.get('errmsg')}")
    return data


def in_wecom(request: HttpRequest) -> bool:
    """Return whether the page was opened inside the WeCom app (its browser says ``wxwork``)."""
    return "wxwork" in request.headers.get("User-Agent", "").lower()


class WeComClient(OAuth2Client):
    """Builds the authorisation link and turns the code into the member's user id."""

    agent_id = ""

    def get_redirect_url(self, authorization_url: str, scope: Any, extra_params: dict[str, Any]) -> str:
        state = self.state or ""
        if in_wecom(self.request):
            params = {
                "appid": self.consumer_key,
                "redirect_uri": self.callback_url,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
                "agentid": self.agent_id,
            }
            base = _host("OAUTH_URL", "https://open.weixin.qq.com") + "/connect/oauth2/authorize"
            return f"{base}?{urlencode(params)}#wechat_redirect"
        params = {
            "login_type": "CorpApp",
            "appid": self.consumer_key,
            "agentid": self.agent_id,
            "redirect_uri": self.callback_url,
            "state": state,
        }
        return f"{authorization_url}?{urlencode(params)}"

    def get_access_token(
        self, code: str, pkce_code_verifier: str | None = None, extra_data: Any = None
    ) -> dict[str, Any]:
        if not code:
            raise OAuth2Error("WeCom: no code in the callback")
        token = _get("/cgi-bin/gettoken", {"corpid": self.consumer_key, "corpsecret": self.consumer_secret})
        identity = _get("/cgi-bin/auth/getuserinfo", {"access_token": token["access_token"], "code": code})
        if not identity.get("userid"):
            # An ``openid`` only: someone outside the company's directory.
            raise OAuth2Error("WeCom: the visitor is not a member of the company")
        return {"access_token": token["access_token"], "userid": identity["userid"]}


class WeComAdapter(OAuth2Adapter):
    provider_id = "wecom"
    client_class = WeComClient
    access_token_method = "GET"

    @property
    def authorize_url(self) -> str:
        return _host("SSO_URL", "https://login.work.weixin.qq.com") + "/wwlogin/sso/login"

    @property
    def access_token_url(self) -> str:
        return api_url() + "/cgi-bin/gettoken"

    def get_client(self, request: HttpRequest, app: Any) -> WeComClient:
        client = super().get_client(request, app)
        assert isinstance(client, WeComClient)
        client.agent_id = app.key
        return client

    def parse_token(self, data: dict[str, Any]) -> SocialToken:
        # The corp's app token, not the person's: kept in memory for the next call only.
        return SocialToken(token=data["access_token"])

    def complete_login(
        self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        userid = kwargs["response"]["userid"]
        member = _get("/cgi-bin/user/get", {"access_token": token.token, "userid": userid})
        member.pop("errcode", None)
        member.pop("errmsg", None)
        member["userid"] = userid
        return self.get_provider().sociallogin_from_response(request, member)


oauth2_login = OAuth2LoginView.adapter_view(WeComAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(WeComAdapter)
