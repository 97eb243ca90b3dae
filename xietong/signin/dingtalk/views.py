"""DingTalk (钉钉) sign-in: allauth's adapter with the hosts from XIETONG_DINGTALK_LOGIN_URL / _API_URL.

The flow is DingTalk's "登录第三方网站" (https://open.dingtalk.com/document/orgapp/tutorial-obtaining-user-personal-information):
``/oauth2/auth`` on the login host, then ``POST /v1.0/oauth2/userAccessToken`` and
``GET /v1.0/contact/users/me`` on the API host.
"""

from __future__ import annotations

from allauth.socialaccount.providers.dingtalk.views import DingTalkOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView

from xietong.signin.hosts import provider_setting


class DingTalkAdapter(DingTalkOAuth2Adapter):
    @property
    def access_token_url(self) -> str:
        return (
            provider_setting("dingtalk", "API_URL", "https://api.dingtalk.com")
            + "/v1.0/oauth2/userAccessToken"
        )

    @property
    def authorize_url(self) -> str:
        return provider_setting("dingtalk", "LOGIN_URL", "https://login.dingtalk.com") + "/oauth2/auth"

    @property
    def profile_url(self) -> str:
        return provider_setting("dingtalk", "API_URL", "https://api.dingtalk.com") + "/v1.0/contact/users/me"


oauth2_login = OAuth2LoginView.adapter_view(DingTalkAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(DingTalkAdapter)
