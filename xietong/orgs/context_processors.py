"""Whether the top navigation shows the organisation pages (head proposals, sign-in lockouts)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from xietong.orgs.actions import may_manage_org


def org(request: HttpRequest) -> dict[str, object]:
    # Lazy: the permission lookup runs only on pages that render the navigation of a staff member.
    return {"may_manage_org": SimpleLazyObject(lambda: may_manage_org_of(request))}


def may_manage_org_of(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and may_manage_org(user)
