"""Account invitations: a one-time link by which an invited person sets their password and signs in.

Staff who manage people invite someone by name and e-mail or mobile: the
person is created (no usable password) with an invitation valid
``INVITATION_VALID``. The link is shown once to who invited, to paste into
an IM chat, and mailed when there is an e-mail; a mail that cannot be sent
loses nothing (the link is still shown). Only the SHA-256 of the link's
token is stored, like API tokens. Resending gives a new token (the old link
stops working), revoking ends it, accepting uses it up: all are audited.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from xietong.audit.record import audited
from xietong.lib.limits import check_input
from xietong.lib.mailheaders import automatic_headers
from xietong.orgs.actions import PersonRefused
from xietong.orgs.models import AccountInvitation, Department, InvitationState, Person, PersonSource

log = logging.getLogger("xietong.orgs")

INVITATION_VALID = timedelta(days=7)
# A token is 43 characters (32 random bytes, URL-safe base64); longer input is never looked up.
TOKEN_MAX = 100


class InvitationRefused(Exception):
    """The invitation cannot be changed as asked (accepted already, the person deactivated); nothing written."""


class Mailed(StrEnum):
    """What became of the invitation mail."""

    SENT = "sent"
    FAILED = "failed"  # the mail server could not be reached or refused it: the link is still shown
    NONE = "none"  # no e-mail address: the link is for an IM chat


@dataclass(frozen=True)
class NewPerson:
    """Who to invite: a name and an e-mail or a mobile (at least one), perhaps a department."""

    display_name: str
    email: str = ""
    phone: str = ""
    department: Department | None = None

    def __post_init__(self) -> None:
        check_input(self, Person)  # lengths and NUL against the columns, whoever calls


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation just made or resent: ``link`` holds its token, shown once and never stored."""

    invitation: AccountInvitation
    link: str
    mailed: Mailed


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest stored for the token ``raw``."""
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_link(raw: str) -> str:
    """Return the absolute link of the token ``raw`` (on ``XIETONG_SITE_URL``: it leaves the site)."""
    return settings.SITE_URL + reverse("orgs:accept_invitation", args=[raw])


def pending_invitations() -> QuerySet[AccountInvitation]:
    """Return the invitations neither accepted nor revoked (expired ones too: they may be resent)."""
    return AccountInvitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def invited_now() -> Exists:
    """An ``Exists`` for a ``Person`` queryset: true while they have a live invitation and never signed in."""
    live = pending_invitations().filter(person=OuterRef("pk"), expires_at__gt=timezone.now())
    return Exists(live)


def _username_base(email: str) -> str:
    local = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0], flags=re.ASCII)[:140]
    return local.strip(".") or "user"


def _free_username(email: str) -> str:
    """Return a login nobody has: the e-mail's local part, else ``user<N>``, numbered when taken."""
    base = _username_base(email)
    taken = set(
        Person.objects.filter(username__istartswith=base).values_list("username", flat=True).iterator()
    )
    taken = {name.lower() for name in taken}
    if base != "user" and base.lower() not in taken:
        return base
    n = Person.objects.count() + 1 if base == "user" else 2
    while f"{base}{n}".lower() in taken:
        n += 1
    return f"{base}{n}"


def check_new_person(new: NewPerson) -> tuple[str, str, str]:
    """Return the cleaned name, e-mail and mobile; raise ``PersonRefused`` at the field at fault."""
    name = new.display_name.strip()
    email = Person.objects.normalize_email(new.email.strip())
    phone = new.phone.strip()
    if not name:
        raise PersonRefused(_("请填写姓名"), "display_name")
    if not email and not phone:
        raise PersonRefused(_("请填写电子邮箱或手机(至少一项)"), "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise PersonRefused(_("请输入有效的电子邮箱地址"), "email") from None
        if Person.objects.filter(email__iexact=email).exists():
            raise PersonRefused(
                _("电子邮箱 %(email)s 已属于另一位人员,不能重复创建账号") % {"email": email}, "email"
            )
    if phone and Person.objects.filter(phone=phone).exists():
        raise PersonRefused(_("手机 %(phone)s 已属于另一位人员,不能重复创建账号") % {"phone": phone}, "phone")
    return name, email, phone


def _new_token() -> tuple[str, str]:
    """Return a fresh token and its hash."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def do_invite_person(new: NewPerson, *, actor: Person) -> IssuedInvitation:
    """Create the person and their invitation, then mail the link when there is an e-mail.

    Raises ``PersonRefused`` (nothing written) without a name, without both
    e-mail and mobile, or when the e-mail or mobile already belongs to someone.
    """
    raw, invitation = create_invitation(new, actor)
    return deliver_invitation(invitation, raw, actor)


@transaction.atomic
def create_invitation(new: NewPerson, actor: Person) -> tuple[str, AccountInvitation]:
    """Create the person and their invitation (nothing mailed); return the link's token and the invitation.

    Callers that write more in the same transaction mail with ``deliver_invitation``
    once it has committed, so no link goes out for an invitation that was rolled back.
    """
    name, email, phone = check_new_person(new)
    with audited(None, actor=actor, collaboration=None, reason=_("邀请新成员")) as box:
        person = Person(
            username=_free_username(email),
            display_name=name,
            email=email,
            phone=phone,
            department=new.department,
            source=PersonSource.LOCAL,
            is_active=True,
        )
        person.set_unusable_password()
        person.save()
        box["obj"] = person
    raw, token_hash = _new_token()
    with audited(None, actor=actor, collaboration=None, reason=_("邀请新成员")) as box:
        box["obj"] = AccountInvitation.objects.create(
            person=person,
            token_hash=token_hash,
            created_by=actor,
            expires_at=timezone.now() + INVITATION_VALID,
        )
    return raw, box["obj"]


def _locked(invitation: AccountInvitation) -> AccountInvitation:
    return (
        AccountInvitation.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=invitation.pk)
    )


def do_resend_invitation(invitation: AccountInvitation, *, actor: Person) -> IssuedInvitation:
    """Give the invitation a new token valid ``INVITATION_VALID`` from now and mail it again.

    The old link stops working; a revoked invitation becomes pending again.
    Raises ``InvitationRefused`` once accepted or when the person is deactivated.
    """
    with transaction.atomic():
        invitation = _locked(invitation)
        if invitation.accepted_at is not None:
            raise InvitationRefused(_("这条邀请已被接受"))
        if not invitation.person.is_active:
            raise InvitationRefused(_("此人已停用;请先重新启用"))
        raw, token_hash = _new_token()
        with audited(invitation, actor=actor, collaboration=None, reason=_("重新发送邀请")):
            invitation.token_hash = token_hash
            invitation.expires_at = timezone.now() + INVITATION_VALID
            invitation.sent_at = None
            invitation.revoked_at = None
            invitation.save(update_fields=["token_hash", "expires_at", "sent_at", "revoked_at"])
    return deliver_invitation(invitation, raw, actor)


@transaction.atomic
def do_revoke_invitation(invitation: AccountInvitation, *, actor: Person) -> AccountInvitation:
    """Make the invitation's link stop working; return it. Revoking twice keeps the first time.

    Raises ``InvitationRefused`` once accepted (the person has an account: deactivate them instead).
    """
    invitation = _locked(invitation)
    if invitation.accepted_at is not None:
        raise InvitationRefused(_("这条邀请已被接受;如需阻止此人登录,请停用其账号"))
    if invitation.revoked_at is None:
        with audited(invitation, actor=actor, collaboration=None, reason=_("撤销邀请")):
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
    return invitation


def find_invitation(raw: str) -> AccountInvitation | None:
    """Return the pending invitation of the token ``raw`` for an active person, or None.

    One answer for an unknown, used, revoked or expired token: a caller cannot tell them apart.
    """
    if not raw or len(raw) > TOKEN_MAX:
        return None
    invitation = AccountInvitation.objects.select_related("person").filter(token_hash=hash_token(raw)).first()
    if invitation is None or invitation.state() != InvitationState.PENDING or not invitation.person.is_active:
        return None
    return invitation


@transaction.atomic
def do_accept_invitation(invitation: AccountInvitation, password: str) -> Person:
    """Use the invitation up: set the person's password; return the person (to sign in).

    The password must already have passed the validators (``SetPasswordForm``).
    Raises ``InvitationRefused`` when the invitation stopped being pending
    meanwhile (accepted in another tab, revoked, expired).
    """
    invitation = _locked(invitation)
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    if invitation.state() != InvitationState.PENDING or not person.is_active:
        raise InvitationRefused(_("此邀请链接无效或已失效"))
    person.set_password(password)
    person.save(update_fields=["password"])
    with audited(invitation, actor=person, collaboration=None, reason=_("接受邀请")):
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return person


# --- the mail


def _site() -> str:
    return settings.SITE_URL.split("://", 1)[-1]


def invitation_mail(invitation: AccountInvitation, link: str, inviter: Person) -> EmailMultiAlternatives:
    """Return the invitation mail, in the site's language (the invitee has chosen none yet)."""
    person = invitation.person
    until = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
    with translation.override(settings.LANGUAGE_CODE):
        words = {"name": person.name, "inviter": inviter.name, "site": _site(), "until": until}
        subject = _("%(inviter)s 邀请您加入协同平台(%(site)s)") % words
        greeting = _("%(name)s,您好:") % words
        body = (
            _(
                "%(inviter)s 邀请您加入 %(site)s 上的协同平台(跨部门协作)。请打开下面的链接设置密码,之后即可登录。"
            )
            % words
        )
        validity = _("此链接只能使用一次,有效期至 %(until)s(%(zone)s)。如果您不认识邀请人,请忽略此邮件。") % {
            **words,
            "zone": settings.TIME_ZONE,
        }
        login = _("设置密码并登录")
    text = f"{greeting}\n\n{body}\n\n{link}\n\n{validity}\n"
    html = format_html(
        '<p>{}</p><p>{}</p><p><a href="{}">{}</a></p><p>{}</p><p>{}</p>',
        greeting,
        body,
        link,
        login,
        link,
        validity,
    )
    headers = automatic_headers()  # Auto-Submitted (RFC 3834) and a Message-ID of the site
    mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [person.email], headers=headers)
    mail.attach_alternative(html, "text/html")
    return mail


def deliver_invitation(invitation: AccountInvitation, raw: str, inviter: Person) -> IssuedInvitation:
    """Mail the link when the person has an e-mail; a failure is logged and said, never raised."""
    link = invitation_link(raw)
    if not invitation.person.email:
        return IssuedInvitation(invitation, link, Mailed.NONE)
    try:
        invitation_mail(invitation, link, inviter).send()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("invitation %s: the mail could not be sent: %s", invitation.pk, exc)
        return IssuedInvitation(invitation, link, Mailed.FAILED)
    invitation.sent_at = timezone.now()
    AccountInvitation.objects.filter(pk=invitation.pk).update(sent_at=invitation.sent_at)
    return IssuedInvitation(invitation, link, Mailed.SENT)


def pending_for_page() -> QuerySet[AccountInvitation]:
    """Return the invitations listed on /org/: neither accepted nor revoked, the newest first."""
    return pending_invitations().select_related("person", "created_by").order_by("-created_at", "-id")
