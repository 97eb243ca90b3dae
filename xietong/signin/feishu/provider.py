from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.feishu.provider import FeishuProvider as AllauthFeishuProvider

from xietong.signin.feishu.views import FeishuAdapter


class FeishuProvider(AllauthFeishuProvider):
    """allauth's Feishu provider on a configurable host.

    ``enterprise_email`` is the mailbox the company gave the person (verified);
    ``email`` is the one the person typed into Feishu (not verified).
    """

    oauth2_adapter_class = FeishuAdapter

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        addresses = []
        if data.get("enterprise_email"):
            addresses.append(EmailAddress(email=data["enterprise_email"], verified=True, primary=True))
        if data.get("email") and data.get("email") != data.get("enterprise_email"):
            addresses.append(EmailAddress(email=data["email"], verified=False, primary=not addresses))
        return addresses

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        email = data.get("enterprise_email") or data.get("email")
        return {"username": "", "name": data.get("name"), "email": email, "phone": data.get("mobile")}
