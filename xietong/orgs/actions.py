"""Writes to the organisation: importing departments, their heads and people; head proposals.

Department heads are organisation data: a head holds the head role in every
collaboration their department takes part in. Only organisation authority
sets one: staff who manage people (``may_manage_org``: the organisation
import, the head proposals page, the admin site) and trusted code (the demo,
``bench-data``, ``xietong import --apply-org-changes``). Anyone else, a
charter import or a collaboration's owner, only proposes (``do_propose_head``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import audited, record
from xietong.lib.limits import check_input
from xietong.orgs.models import Department, HeadProposal, HeadProposalState, Person
from xietong.orgs.sessions import end_sessions

if TYPE_CHECKING:
    from xietong.collabs.models import Collaboration


class OrgRole(StrEnum):
    HEAD = "head"
    MEMBER = "member"


@dataclass(frozen=True)
class OrgRow:
    """One person to store: what the organisation sheet (``xietong.documents.org``) read from a good row.

    ``row`` is its number in Excel.
    """

    row: int
    login: str
    name: str = ""
    email: str = ""
    phone: str = ""
    department: str = ""
    role: OrgRole = OrgRole.MEMBER


@dataclass(frozen=True)
class OrgImported:
    """What an organisation import changed."""

    departments_created: int
    people_created: int
    people_updated: int
    heads_set: int


def may_manage_org(user: Any) -> bool:
    """Return whether ``user`` may change the organisation (import it, set department heads):
    staff who may add and change people and departments in the admin site (every active superuser)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perms(
            ["orgs.add_person", "orgs.change_person", "orgs.add_department", "orgs.change_department"]
        )
    )


@transaction.atomic
def do_import_org(rows: Sequence[OrgRow], actor: Person | None = None) -> OrgImported:
    """Store the rows: departments by name, people by login (updated, never duplicated), heads.

    A cell left empty keeps what the person already has; new people get no
    usable password (an administrator activates them, as for people named
    in an imported charter). ``actor`` is who ran the import (kept for a
    future audit of the organisation; departments have no collaboration to
    record it against).
    """
    names = {r.department for r in rows if r.department}
    departments = {d.name: d for d in Department.objects.filter(name__in=names).select_for_update()}
    created_departments = 0
    for name in sorted(names - departments.keys()):
        departments[name] = Department.objects.create(name=name)
        created_departments += 1

    logins = [r.login for r in rows]
    people = {p.username: p for p in Person.objects.filter(username__in=logins).select_for_update()}
    created = updated = heads = 0
    for row in rows:
        department = departments.get(row.department)
        person = people.get(row.login)
        if person is None:
            person = Person(username=row.login)
            person.set_unusable_password()
            _fill(person, row, department)
            person.save()
            people[row.login] = person
            created += 1
        else:
            changed = _fill(person, row, department)
            if changed:
                person.save(update_fields=changed)
                updated += 1
        if row.role == OrgRole.HEAD and department is not None and department.head_id != person.pk:
            department.head = person
            department.save(update_fields=["head"])
            heads += 1
    return OrgImported(created_departments, created, updated, heads)


def _fill(person: Person, row: OrgRow, department: Department | None) -> list[str]:
    """Copy the row's non-empty cells onto ``person``; return the fields that changed."""
    changed = []
    for field, value in (
        ("display_name", row.name),
        ("email", row.email),
        ("phone", row.phone),
    ):
        if value and getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if department is not None and person.department_id != department.pk:
        person.department = department
        changed.append("department")
    return changed


class ProposalRefused(Exception):
    """The proposal cannot be decided as asked; nothing was written."""


def proposed_message(proposal: HeadProposal) -> str:
    """What a page or an answer says after a head was proposed."""
    return _("已提议 %(person)s 为 %(department)s 的负责人,待组织管理员确认") % {
        "person": proposal.person.name,
        "department": proposal.department.name,
    }


@transaction.atomic
def do_propose_head(
    department: Department,
    person: Person,
    *,
    proposed_by: Person | None = None,
    collaboration: Collaboration | None = None,
) -> HeadProposal | None:
    """Propose ``person`` as head of ``department``; return the pending proposal.

    Returns None when ``person`` already heads it. Proposing someone who is
    already proposed returns the waiting proposal (one per department and
    person). Never changes the department.
    """
    if department.head_id == person.pk:
        return None
    proposal, created = HeadProposal.objects.get_or_create(
        department=department,
        person=person,
        state=HeadProposalState.PENDING,
        defaults={
            "proposed_by": proposed_by,
            "collaboration": collaboration,
            "collaboration_title": collaboration.title if collaboration else "",
        },
    )
    if created:
        record(proposal, None, actor=proposed_by, collaboration=collaboration, reason=_("提议部门负责人"))
    return proposal


def _pending(proposal: HeadProposal) -> HeadProposal:
    """Lock ``proposal`` and its department; raise ``ProposalRefused`` once it was decided."""
    locked = (
        HeadProposal.objects.select_for_update(of=("self",))  # PostgreSQL locks no outer-joined row
        .select_related("department", "person", "collaboration")
        .get(pk=proposal.pk)
    )
    if locked.state != HeadProposalState.PENDING:
        raise ProposalRefused(_("这条提议已处理"))
    return locked


@transaction.atomic
def do_confirm_head(proposal: HeadProposal, *, actor: Person, replace: bool = False) -> HeadProposal:
    """Make the proposed person the department's head; return the decided proposal.

    A department that already has another head keeps it unless ``replace``
    says so explicitly (``ProposalRefused`` otherwise): a head is never
    replaced by a click meant for an empty seat. The other proposals waiting
    for that department stay pending for staff to reject.
    """
    proposal = _pending(proposal)
    department = Department.objects.select_for_update().get(pk=proposal.department_id)
    if department.head_id not in (None, proposal.person_id) and not replace:
        raise ProposalRefused(
            _("%(department)s 已有负责人 %(head)s;如要更换,请明确选择替换")
            % {"department": department.name, "head": department.head.name if department.head else ""}
        )
    with audited(department, actor=actor, collaboration=proposal.collaboration, reason=_("确认负责人提议")):
        department.head = proposal.person
        department.save(update_fields=["head"])
    return _decide(proposal, HeadProposalState.CONFIRMED, actor)


@transaction.atomic
def do_reject_head(proposal: HeadProposal, *, actor: Person) -> HeadProposal:
    """Turn the proposal down; the department is unchanged. Return the decided proposal."""
    return _decide(_pending(proposal), HeadProposalState.REJECTED, actor)


def _decide(proposal: HeadProposal, state: HeadProposalState, actor: Person) -> HeadProposal:
    with audited(proposal, actor=actor, collaboration=proposal.collaboration):
        proposal.state = state
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["state", "decided_by", "decided_at"])
    return proposal


# --- people: edit, deactivate, reactivate (staff who manage people)


class PersonRefused(Exception):
    """The change to a person cannot be made as asked; nothing was written.

    ``field`` names the field at fault (empty: the request as a whole).
    """

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class PersonChanges:
    """What staff may change about a person: the rest comes from sign-in or a directory."""

    display_name: str
    email: str
    phone: str
    department: Department | None
    employee_number: str

    def __post_init__(self) -> None:
        check_input(self, Person)  # lengths and NUL against the columns, whoever calls


PERSON_FIELDS = ("display_name", "email", "phone", "department", "employee_number")


def _locked(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


@transaction.atomic
def do_update_person(person: Person, changes: PersonChanges, *, actor: Person) -> Person:
    """Store ``changes`` on ``person`` and record them; return the person as saved.

    Raises ``PersonRefused`` (nothing written) for a malformed e-mail or an
    employee number another person has.
    """
    if changes.email:
        try:
            validate_email(changes.email)
        except ValidationError:
            raise PersonRefused(_("请输入有效的电子邮箱地址"), "email") from None
    person = _locked(person)
    number = changes.employee_number.strip()
    if number and Person.objects.filter(employee_number=number).exclude(pk=person.pk).exists():
        raise PersonRefused(_("工号 %(number)s 已被他人使用") % {"number": number}, "employee_number")
    with audited(person, actor=actor, collaboration=None, reason=_("修改人员信息")):
        person.display_name = changes.display_name.strip()
        person.email = Person.objects.normalize_email(changes.email.strip())
        person.phone = changes.phone.strip()
        person.department = changes.department
        person.employee_number = number
        person.save(update_fields=list(PERSON_FIELDS))
    return person


@transaction.atomic
def do_deactivate_person(person: Person, *, actor: Person, reason: str) -> Person:
    """Stop ``person`` signing in; return them. Never deletes: their name stays on old rows.

    Their open sessions end at their next request and their API tokens are
    refused (both check ``is_active``). Raises ``PersonRefused`` when ``actor``
    is ``person`` (nobody locks themselves out) or without a reason.
    """
    if person.pk == actor.pk:
        raise PersonRefused(_("不能停用自己的账号;请由另一位组织管理员操作"))
    if not reason.strip():
        raise PersonRefused(_("请填写停用原因"), "reason")
    return _set_active(person, False, actor=actor, reason=reason.strip())


@transaction.atomic
def do_reactivate_person(person: Person, *, actor: Person, reason: str = "") -> Person:
    """Let ``person`` sign in again (with the password they had); return them."""
    return _set_active(person, True, actor=actor, reason=reason.strip() or _("重新启用"))


def _set_active(person: Person, active: bool, *, actor: Person, reason: str) -> Person:
    person = _locked(person)
    with audited(person, actor=actor, collaboration=None, reason=reason):
        person.is_active = active
        # Staff decided: the directory sync no longer reactivates (or counts as its own) this state.
        person.directory_deactivated = False
        person.save(update_fields=["is_active", "directory_deactivated"])
    if not active:
        end_sessions(person.pk)  # every open session ends at its next request
    return person
