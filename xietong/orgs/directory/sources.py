"""The directory sources by name, configured from the environment (docs/directory-sync.md)."""

from __future__ import annotations

import importlib

from django.utils.translation import gettext as _

from xietong.orgs.directory.base import DirectoryError, Source

# name -> (module, class); each class has ``from_env()``.
SOURCES = {
    "ldap": ("xietong.orgs.directory.ldap", "LdapSource"),
    "wecom": ("xietong.orgs.directory.wecom", "WecomSource"),
    "dingtalk": ("xietong.orgs.directory.dingtalk", "DingtalkSource"),
    "feishu": ("xietong.orgs.directory.feishu", "FeishuSource"),
}


def source_named(name: str) -> Source:
    """Return the source ``name`` configured from the environment; ``DirectoryError`` if it cannot be."""
    if name not in SOURCES:
        raise DirectoryError(_("未知的目录来源:%(name)s") % {"name": name})
    module_name, class_name = SOURCES[name]
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise DirectoryError(_("目录来源 %(name)s 不可用") % {"name": name}) from None
    source: Source = cls.from_env()
    return source
