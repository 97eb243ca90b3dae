"""The API's own writes: issuing, checking and revoking personal API tokens.

The token is ``xt_<prefix>_<secret>``: 8 hexadecimal characters of prefix
(kept in clear, to find the row) and 43 characters of URL-safe secret
(256 random bits). Only the SHA-256 of the whole token is stored; a
random secret of that length needs no salt or slow hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xietong.api.models import ApiToken, password_stamp
from xietong.orgs.models import Person

SCHEME = "xt_"
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: ``secret`` is the whole token, shown to its person once."""

    token: ApiToken
    secret: str


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def do_issue_token(person: Person, name: str) -> IssuedToken:
    """Create a token for ``person`` and return it with its secret (never stored)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 4 billion
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{SCHEME}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        person=person,
        name=name,
        prefix=prefix,
        hashed_secret=hash_token(raw),
        password_stamp=password_stamp(person),
    )
    return IssuedToken(token, raw)


def do_revoke_token(person: Person, token_id: int) -> ApiToken | None:
    """Revoke one of ``person``'s tokens (revoking twice keeps the first time); None if not theirs."""
    token = ApiToken.objects.filter(person=person, pk=token_id).first()
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def person_for_token(raw: str) -> Person | None:
    """Return the active person a valid, unrevoked token belongs to, or None.

    A token issued before its person's password last changed is refused and
    marked revoked. Notes when the token was used, at most once a minute (a
    conditional UPDATE, so that concurrent requests do not each write).
    """
    if not raw.startswith(SCHEME) or len(raw) > 200:
        return None
    prefix, sep, _secret = raw[len(SCHEME) :].partition("_")
    if not sep or len(prefix) != PREFIX_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("person", "person__department")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.hashed_secret, hash_token(raw)):
        return None
    if not token.person.is_active:
        return None
    now = timezone.now()
    if not hmac.compare_digest(token.password_stamp, password_stamp(token.person)):
        # The password changed since the token was issued (any path: page, admin, command).
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        return None
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
        ).update(last_used_at=now)
    return token.person
