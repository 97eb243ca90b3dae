"""The organisation page (departments, people, invitations) and a person's page: edit, deactivate, reactivate.

Staff who manage people only (``may_manage_org``). Every page costs the same
queries however many people there are: one page of people is read, with
their departments joined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.audit.models import AuditEntry
from xietong.audit.words import changes
from xietong.lib.http import pk_param
from xietong.orgs.actions import (
    PersonRefused,
    do_deactivate_person,
    do_reactivate_person,
    do_update_person,
    may_manage_org,
)
from xietong.orgs.forms import DeactivateForm, InviteForm, PersonForm, ReactivateForm
from xietong.orgs.invitations import (
    InvitationRefused,
    IssuedInvitation,
    do_invite_person,
    do_resend_invitation,
    do_revoke_invitation,
    invited_now,
    pending_for_page,
)
from xietong.orgs.models import AccountInvitation, Department, DirectorySync, Person

# People per page of the organisation page.
PEOPLE_PAGE = 50
# Entries of a person's history shown on their page, the latest first.
HISTORY_SHOWN = 20
# Invitations listed on the organisation page (neither accepted nor revoked), the newest first.
INVITATIONS_SHOWN = 100
# The longest search text read from ?q= (longer is cut, never an error).
SEARCH_LIMIT = 100


def _staff(request: HttpRequest) -> Person:
    if not may_manage_org(request.user):
        raise PermissionDenied
    assert isinstance(request.user, Person)
    return request.user


def search_people(q: str) -> QuerySet[Person]:
    """Return everyone (deactivated too) whose name, login, e-mail, mobile or employee number contains ``q``."""
    rows = Person.objects.select_related("department").order_by("display_name", "username", "id")
    if not q:
        return rows
    return rows.filter(
        Q(display_name__icontains=q)
        | Q(username__icontains=q)
        | Q(email__icontains=q)
        | Q(phone__icontains=q)
        | Q(employee_number__icontains=q)
    )


@dataclass
class TreeNode:
    """A department on the organisation page, with the departments under it."""

    department: Department
    children: list[TreeNode] = field(default_factory=list)


def department_tree(departments: Iterable[Department]) -> list[TreeNode]:
    """Return the top-level departments with their sub-departments, from the parent links (no query).

    A department whose parent chain loops (set by hand in the admin site) is
    shown at the top level rather than lost.
    """
    nodes = {d.pk: TreeNode(d) for d in departments}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id) if node.department.parent_id else None
        (parent.children if parent else roots).append(node)
    reached: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        reached.add(node.department.pk)
        stack.extend(node.children)
    for pk, node in nodes.items():  # in a loop: lifted to the top
        if pk not in reached:
            roots.append(TreeNode(node.department))
            reached.add(pk)
    return roots


def last_syncs() -> list[DirectorySync]:
    """Return the last sync of each directory source (dry runs aside), in one query."""
    latest = (
        DirectorySync.objects.filter(source=OuterRef("source"), dry_run=False)
        .order_by("-started_at", "-id")
        .values("pk")[:1]
    )
    return list(DirectorySync.objects.filter(pk=Subquery(latest)).order_by("source"))


def _organisation_page(
    request: HttpRequest, invite: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:SEARCH_LIMIT]
    department = pk_param(request.GET.get("department"))
    rows = search_people(q).annotate(invited=invited_now())
    chosen = None
    if department is not None:
        chosen = Department.objects.filter(pk=department).first()
        rows = rows.filter(department=chosen) if chosen else rows
    page = Paginator(rows, PEOPLE_PAGE).get_page(request.GET.get("page"))
    departments = list(
        Department.objects.select_related("head")
        .annotate(active=Count("people", filter=Q(people__is_active=True)))
        .order_by("name", "id")
    )
    now = timezone.now()
    invitations = [(i, i.state(now)) for i in pending_for_page()[:INVITATIONS_SHOWN]]
    return render(
        request,
        "orgs/organisation.html",
        {
            "page_title": _("组织与人员"),
            "departments": departments,
            "tree": department_tree(departments),
            "syncs": last_syncs(),
            "page": page,
            "q": q,
            "chosen": chosen,
            "invite": invite or InviteForm(),
            "invitations": invitations,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def organisation(request: HttpRequest) -> HttpResponse:
    """The departments with their heads, the people (searched with ``?q=``, paged), and the invitations."""
    _staff(request)
    return _organisation_page(request)


def _issued_page(request: HttpRequest, issued: IssuedInvitation, title: str) -> HttpResponse:
    """The page that shows an invitation's link, once: to copy into an IM chat."""
    return render(
        request,
        "orgs/invitation_issued.html",
        {"page_title": title, "issued": issued, "person": issued.invitation.person},
    )


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    """Create a person and their invitation; show the link once (and say whether the mail went)."""
    actor = _staff(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            issued = do_invite_person(form.new_person(), actor=actor)
        except PersonRefused as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            return _issued_page(
                request, issued, _("已邀请 %(person)s") % {"person": issued.invitation.person.name}
            )
    return _organisation_page(request, invite=form, status=400)


def _invitation(pk: int) -> AccountInvitation:
    return get_object_or_404(AccountInvitation.objects.select_related("person"), pk=pk)


@login_required
@require_POST
def resend_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the invitation a new link (the old one stops working), mail it, and show it once."""
    actor = _staff(request)
    invitation = _invitation(pk)
    try:
        issued = do_resend_invitation(invitation, actor=actor)
    except InvitationRefused as exc:
        messages.error(request, str(exc))
        return redirect("orgs:organisation")
    return _issued_page(request, issued, _("已重新邀请 %(person)s") % {"person": invitation.person.name})


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the invitation's link stop working."""
    actor = _staff(request)
    invitation = _invitation(pk)
    try:
        do_revoke_invitation(invitation, actor=actor)
    except InvitationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("已撤销对 %(person)s 的邀请,链接已失效。") % {"person": invitation.person.name}
        )
    return redirect("orgs:organisation")


def _person_page(request: HttpRequest, person: Person, **forms: Any) -> HttpResponse:
    history = AuditEntry.objects.filter(object_type="orgs.person", object_id=str(person.pk)).select_related(
        "actor"
    )[:HISTORY_SHOWN]
    context = {
        "page_title": person.name,
        "person": person,
        "form": forms.get("form") or PersonForm(instance=person),
        "deactivate": forms.get("deactivate") or DeactivateForm(),
        "reactivate": forms.get("reactivate") or ReactivateForm(),
        "history": [(entry, changes(entry)) for entry in history],
        "is_me": person.pk == request.user.pk,
    }
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "orgs/person.html", context, status=status)


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("department"), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's details, edited in a form (what was typed stays on an error), and their history."""
    actor = _staff(request)
    person = _person(pk)
    if request.method != "POST":
        return _person_page(request, person)
    form = PersonForm(request.POST, instance=Person.objects.get(pk=pk))
    if form.is_valid():
        try:
            do_update_person(person, form.changes(), actor=actor)
        except PersonRefused as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(request, _("已保存 %(person)s 的信息。") % {"person": person.name})
            return redirect("orgs:person", pk=pk)
    return _person_page(request, person, form=form)


@login_required
@require_POST
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a person, with a reason and a ticked confirmation; never oneself."""
    actor = _staff(request)
    person = _person(pk)
    form = DeactivateForm(request.POST)
    if form.is_valid():
        try:
            do_deactivate_person(person, actor=actor, reason=form.cleaned_data["reason"])
        except PersonRefused as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(
                request, _("已停用 %(person)s,其会话和接口令牌已失效。") % {"person": person.name}
            )
            return redirect("orgs:person", pk=pk)
    return _person_page(request, person, deactivate=form)


@login_required
@require_POST
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a deactivated person sign in again."""
    actor = _staff(request)
    person = _person(pk)
    form = ReactivateForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, reactivate=form)
    do_reactivate_person(person, actor=actor, reason=form.cleaned_data["reason"])
    messages.success(request, _("已重新启用 %(person)s。") % {"person": person.name})
    return redirect("orgs:person", pk=pk)
