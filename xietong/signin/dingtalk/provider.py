from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.dingtalk.provider import DingTalkProvider as AllauthDingTalkProvider
from django.conf import settings

from xietong.signin.dingtalk.views import DingTalkAdapter


class DingTalkProvider(AllauthDingTalkProvider):
    """allauth's DingTalk provider on configurable hosts; the e-mail counts as verified only when trusted."""

    oauth2_adapter_class = DingTalkAdapter

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        email = data.get("email")
        if not email:
            return []
        trusted = bool(settings.SOCIALACCOUNT_PROVIDERS.get("dingtalk", {}).get("TRUST_EMAIL"))
        return [EmailAddress(email=email, verified=trusted, primary=True)]

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": "",
            "name": data.get("nick"),
            "email": data.get("email"),
            "phone": data.get("mobile"),
        }
