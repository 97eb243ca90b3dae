"""People fields of a collaboration: inviting a new person from it, and the names waiting as 待邀请.

Free text never creates an account. A name that matches nobody is either
invited here (a name and an e-mail or mobile, through
``xietong.orgs.invitations.do_invite_person``: a real mail with a one-time
link) or, when an import named it, kept as a ``PendingPerson`` until someone
invites it.

Who may invite from a collaboration: whoever may edit its departments
(``Action.EDIT_COLLABORATION``: the initiator and administrators). They can
only bring a NEW person into the invited state; existing people are
organisation data they cannot change, and staff who manage people see and
revoke every invitation on /org/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.audit.record import audited, record
from xietong.collabs.access import access_for
from xietong.collabs.actions.common import bump_version, delete_row, save_row
from xietong.collabs.actions.nominations import do_nominate
from xietong.collabs.models import (
    Collaboration,
    MemberRole,
    Membership,
    NominationRole,
    Participant,
    PendingPerson,
    PendingRole,
)
from xietong.orgs.actions import PersonRefused, do_propose_head
from xietong.orgs.invitations import (
    IssuedInvitation,
    NewPerson,
    check_new_person,
    create_invitation,
    deliver_invitation,
)
from xietong.orgs.models import AccountInvitation, Department, Person
from xietong.orgs.roles import Action


def may_invite(person: Person | None, collab: Collaboration) -> bool:
    """Return whether ``person`` may invite new people from ``collab`` (they may edit its departments)."""
    return person is not None and access_for(person, collab).can(Action.EDIT_COLLABORATION)


def _check_may_invite(person: Person, collab: Collaboration) -> None:
    if not may_invite(person, collab):
        raise PermissionDenied(_("只有可以编辑参与部门的人才能从协作中邀请新成员"))


@dataclass(frozen=True)
class Unsent:
    """An invitation written in a transaction still open: ``send`` mails it once that has committed."""

    raw: str
    invitation: AccountInvitation
    actor: Person

    @property
    def person(self) -> Person:
        return self.invitation.person

    def send(self) -> IssuedInvitation:
        return deliver_invitation(self.invitation, self.raw, self.actor)


def do_invite_for_collaboration(collab: Collaboration, new: NewPerson, *, actor: Person) -> Unsent:
    """Invite a new person from ``collab`` (a people field's "邀请新成员"); return it, not yet mailed.

    Raises ``PermissionDenied`` unless ``actor`` may edit the collaboration's
    departments, and ``PersonRefused`` (nothing written) as ``do_invite_person``
    does. The caller sends it after its transaction commits: a save that is
    then rolled back (a version conflict) mails no link to an invitation that no longer exists.
    """
    _check_may_invite(actor, collab)
    with transaction.atomic():
        raw, invitation = _invite(collab, new, actor)
    return Unsent(raw, invitation, actor)


def _invite(collab: Collaboration, new: NewPerson, actor: Person) -> tuple[str, AccountInvitation]:
    raw, invitation = create_invitation(new, actor)
    # The organisation's history has the invitation; the collaboration's says who was brought in for it.
    record(invitation.person, None, actor=actor, collaboration=collab, reason=_("从协作邀请新成员"))
    return raw, invitation


@dataclass(frozen=True)
class PendingInvite:
    """One row of the "全部邀请" form: a waiting name with the contacts typed for it."""

    pending: PendingPerson
    email: str = ""
    phone: str = ""


class PendingRefused(Exception):
    """Some rows of "全部邀请" cannot be invited; nothing was written.

    ``errors`` maps a ``PendingPerson`` id to (field, message).
    """

    def __init__(self, errors: dict[int, tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(message for _field, message in errors.values()))


def pending_of(collab: Collaboration) -> list[PendingPerson]:
    """Return the names of ``collab`` waiting to be invited (待邀请), in the order they were named."""
    return list(PendingPerson.objects.filter(collaboration=collab).select_related("department"))


def check_new_people(people: Sequence[NewPerson]) -> dict[int, tuple[str, str]]:
    """Return, by position, why each of ``people`` could not be invited: the invitation's own
    checks, and one e-mail or mobile given twice. Empty: all of them can be invited together."""
    errors: dict[int, tuple[str, str]] = {}
    seen_email: set[str] = set()
    seen_phone: set[str] = set()
    for i, new in enumerate(people):
        try:
            _name, email, phone = check_new_person(new)
        except PersonRefused as exc:
            errors[i] = (exc.field or "email", str(exc))
            continue
        if email and email.lower() in seen_email:
            errors[i] = ("email", _("电子邮箱 %(email)s 填写了两次") % {"email": email})
        elif phone and phone in seen_phone:
            errors[i] = ("phone", _("手机 %(phone)s 填写了两次") % {"phone": phone})
        seen_email.add(email.lower())
        seen_phone.add(phone)
    return errors


def _new_person(row: PendingInvite) -> NewPerson:
    pending = row.pending
    return NewPerson(pending.name, row.email.strip(), row.phone.strip(), pending.department)


def do_invite_pending(
    collab: Collaboration, rows: Sequence[PendingInvite], *, actor: Person
) -> list[IssuedInvitation]:
    """Invite every waiting name of ``rows`` at once and put each where it was named; return the invitations.

    All or nothing: one row without a usable e-mail or mobile raises
    ``PendingRefused`` with every row's problem and nothing is invited. Then a
    liaison is set on its department's row, a head is only proposed
    (``do_propose_head``, for staff to confirm) and an initiator becomes the
    collaboration's owner (whoever stood in keeps access as a member).
    Raises ``PermissionDenied`` unless ``actor`` may edit the departments.
    The mails go out after everything is committed: a failure before then sends none.
    """
    _check_may_invite(actor, collab)
    created = _create_pending(collab, rows, actor)
    return [deliver_invitation(invitation, raw, actor) for raw, invitation in created]


@transaction.atomic
def _create_pending(
    collab: Collaboration, rows: Sequence[PendingInvite], actor: Person
) -> list[tuple[str, AccountInvitation]]:
    errors = check_new_people([_new_person(row) for row in rows])
    if errors:
        raise PendingRefused({rows[i].pending.pk: error for i, error in errors.items()})
    created = []
    # The owner last: whoever invites may be the stand-in owner that this replaces.
    for row in sorted(rows, key=lambda r: r.pending.role == PendingRole.OWNER):
        pending = row.pending
        raw, invitation = _invite(collab, _new_person(row), actor)
        _place(collab, pending, invitation.person, actor)
        delete_row(pending, collab, actor=actor)
        created.append((raw, invitation))
    bump_version(collab)
    return created


def _place(collab: Collaboration, pending: PendingPerson, person: Person, actor: Person) -> None:
    """Put ``person`` where ``pending`` was named."""
    department: Department | None = pending.department
    if pending.role == PendingRole.LIAISON:
        participant = Participant.objects.filter(collaboration=collab, department=department).first()
        if participant is not None and participant.liaison_id is None:
            save_row(participant, Participant, collab, {"liaison": person}, actor=actor)
            do_nominate(collab, person, NominationRole.LIAISON, by=actor)
    elif pending.role == PendingRole.HEAD and department is not None:
        do_propose_head(department, person, proposed_by=actor, collaboration=collab)
    elif pending.role == PendingRole.OWNER:
        stand_in = collab.owner
        with audited(collab, actor=actor, collaboration=collab, reason=_("邀请的发起部门负责人")):
            collab.owner = person
            collab.save(update_fields=["owner"])
        if stand_in is not None and stand_in.pk != person.pk:
            membership, created = Membership.objects.get_or_create(
                collaboration=collab, person=stand_in, defaults={"role": MemberRole.MEMBER}
            )
            if created:
                record(membership, None, actor=actor, collaboration=collab, reason=_("原代为负责人的导入者"))
