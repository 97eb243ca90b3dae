"""The hosts a provider talks to: allauth's are fixed, ours come from its settings (tests point them at 127.0.0.1)."""

from __future__ import annotations

from django.conf import settings


def provider_setting(provider: str, key: str, default: str) -> str:
    """Return ``SOCIALACCOUNT_PROVIDERS[provider][key]`` (see ``xietong.signin.config``), else ``default``."""
    value = settings.SOCIALACCOUNT_PROVIDERS.get(provider, {}).get(key) or default
    return str(value).rstrip("/")
