"""Feishu (飞书) sign-in: allauth's adapter and client with the host from XIETONG_FEISHU_API_URL.

The flow is Feishu's web-app login (https://open.feishu.cn/document/common-capabilities/sso/web-application-sso/web-app-overview):
``/open-apis/authen/v1/index`` (the authorisation page), then
``POST /open-apis/auth/v3/app_access_token/internal/``, ``POST /open-apis/authen/v1/access_token``
and ``GET /open-apis/authen/v1/user_info``.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.feishu.client import FeishuOAuth2Client
from allauth.socialaccount.providers.feishu.views import FeishuOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.http import HttpRequest

from xietong.signin.hosts import provider_setting


def _api() -> str:
    return provider_setting("feishu", "API_URL", "https://open.feishu.cn")


class FeishuAdapter(FeishuOAuth2Adapter):
    @property
    def authorize_url(self) -> str:
        return _api() + "/open-apis/authen/v1/index"

    @property
    def access_token_url(self) -> str:
        return _api() + "/open-apis/authen/v1/access_token"

    @property
    def user_info_url(self) -> str:
        return _api() + "/open-apis/authen/v1/user_info"

    def get_client(self, request: HttpRequest, app: Any) -> FeishuOAuth2Client:
        client = super().get_client(request, app)
        client.app_access_token_url = _api() + "/open-apis/auth/v3/app_access_token/internal/"
        return client


oauth2_login = OAuth2LoginView.adapter_view(FeishuAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(FeishuAdapter)
