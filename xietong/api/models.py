"""Personal API tokens: a person's key to the API, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One personal token. The secret is never stored: only its SHA-256.

    A token reads ``xt_<prefix>_<secret>``; the prefix is kept in clear so
    that a request finds its row with one indexed lookup and a person can
    tell their tokens apart, and the hash of the whole token is compared in
    constant time. A revoked token stays as a row (its name, when it was
    last used) but is refused.

    ``password_stamp`` records the person's password (a digest of its hash)
    when the token was issued: once the password changes, by any path (the
    password page, the admin, ``changepassword``, ``set_password``), the
    token no longer matches and is refused, as Django ends other sessions.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    hashed_secret = models.CharField(_("密钥摘要"), max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    password_stamp = models.CharField(_("密码印记"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (xt_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        """Not revoked, and issued under the person's current password (reads ``person``)."""
        return self.revoked_at is None and self.password_stamp == password_stamp(self.person)


def password_stamp(person: Any) -> str:
    """Return a digest of ``person``'s password hash: it changes whenever the password does.

    Only a digest is stored with the token, never the password hash itself.
    """
    return hashlib.sha256(f"xietong.api.token:{person.password}".encode()).hexdigest()
