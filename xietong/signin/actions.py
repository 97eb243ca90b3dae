"""Who a company sign-in is: the writes of a first sign-in, audited.

A first sign-in through a company method (an account the provider never sent
before) becomes, in this order:

1. the invited person, when the sign-in started from their invitation link
   (the invitation is used up, as setting a password would);
2. the one active person whose e-mail is one the provider says it verified;
3. a new person, ``source`` set to the method (oidc, dingtalk, feishu, wecom).

An e-mail the provider did not verify never links an account: whoever owns
the provider account could have typed anyone's address.
"""

from __future__ import annotations

import re

from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import audited, record
from xietong.orgs.models import AccountInvitation, InvitationState, Person, PersonSource

# allauth's provider id -> the person's source.
SOURCES: dict[str, PersonSource] = {
    "openid_connect": PersonSource.OIDC,
    "dingtalk": PersonSource.DINGTALK,
    "feishu": PersonSource.FEISHU,
    "wecom": PersonSource.WECOM,
}


def person_with_email(emails: list[str]) -> Person | None:
    """Return the one active person with one of ``emails`` (verified ones only), or None (none or several).

    Never a local administrator: an account at the identity provider that carries the
    administrator's address must not become the administrator (as with LDAP).
    """
    for email in emails:
        found = list(Person.objects.filter(email__iexact=email, is_active=True, is_superuser=False)[:2])
        if len(found) == 1:
            return found[0]
    return None


def email_taken(email: str) -> bool:
    return bool(email) and Person.objects.filter(email__iexact=email).exists()


def free_username(*wishes: str) -> str:
    """Return a login nobody has: the first usable wish, numbered when taken, else ``user<N>``."""
    for wish in wishes:
        base = re.sub(r"[^\w.@+-]", "", wish or "", flags=re.ASCII)[:140].strip(".")
        if base:
            break
    else:
        base = "user"
    candidate, n = base, 2
    while Person.objects.filter(username__iexact=candidate).exists():
        candidate = f"{base}{n}"
        n += 1
    return candidate


def live_invitation(pk: int | None) -> AccountInvitation | None:
    """Return the pending invitation ``pk`` of an active person, or None."""
    if pk is None:
        return None
    invitation = AccountInvitation.objects.select_related("person").filter(pk=pk).first()
    if invitation is None or invitation.state() != InvitationState.PENDING or not invitation.person.is_active:
        return None
    return invitation


def live_invitation_of(person: Person) -> AccountInvitation | None:
    """Return ``person``'s pending invitation (the newest), or None."""
    pending = person.account_invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    invitation = pending.order_by("-created_at").first()
    return invitation if invitation is not None and invitation.state() == InvitationState.PENDING else None


@transaction.atomic
def do_accept_invitation_by_signin(invitation: AccountInvitation, provider_name: str) -> Person:
    """Use the invitation up for a company sign-in (no password is set); return the invited person."""
    invitation = (
        AccountInvitation.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=invitation.pk)
    )
    person = invitation.person
    with audited(
        invitation,
        actor=person,
        collaboration=None,
        reason=_("通过 %(method)s 接受邀请") % {"method": provider_name},
    ):
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return person


def record_first_signin(person: Person, account: SocialAccount, provider_name: str, *, created: bool) -> None:
    """Audit a first company sign-in: the person when it made them, and the provider account linked."""
    if created:
        record(
            person,
            None,
            actor=person,
            collaboration=None,
            reason=_("首次通过 %(method)s 登录") % {"method": provider_name},
        )
    reason = _("%(method)s 账号已关联到此人") % {"method": provider_name}
    record(account, None, actor=person, collaboration=None, reason=reason)
