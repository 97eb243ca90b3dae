from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from xietong.signin.wecom.views import WeComAdapter


class WeComAccount(ProviderAccount):
    def to_str(self) -> str:
        return str(self.account.extra_data.get("name") or self.account.uid)


class WeComProvider(OAuth2Provider):
    """企业微信: the member's ``userid`` in the company's directory is the account's uid."""

    id = "wecom"
    name = "企业微信"
    account_class = WeComAccount
    oauth2_adapter_class = WeComAdapter

    def extract_uid(self, data: dict[str, Any]) -> str:
        return str(data["userid"])

    def get_default_scope(self) -> list[str]:
        return ["snsapi_base"]

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        email = data.get("biz_mail") or data.get("email")
        return {
            "username": data["userid"],
            "name": data.get("name"),
            "email": email,
            "phone": data.get("mobile"),
        }

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        # The company's directory holds these addresses: an administrator set them.
        emails = [e for e in (data.get("biz_mail"), data.get("email")) if e]
        return [
            EmailAddress(email=e, verified=True, primary=i == 0) for i, e in enumerate(dict.fromkeys(emails))
        ]


provider_classes = [WeComProvider]
