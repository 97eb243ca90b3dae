"""Step 2: participating departments, each with exactly one liaison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.actions.common import PersonUnresolved, VersionConflict, check_version
from xietong.collabs.actions.departments import (
    do_add_participant,
    do_remove_participant,
    do_update_participant,
)
from xietong.collabs.actions.people import (
    PendingInvite,
    PendingRefused,
    Unsent,
    check_new_people,
    do_invite_for_collaboration,
    do_invite_pending,
    pending_of,
)
from xietong.collabs.forms.departments import NewParticipantForm, ParticipantForm
from xietong.collabs.forms.people import PeopleFields, Picked
from xietong.collabs.models import Collaboration, Participant
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.conflicts import FieldConflict, conflicts, resolve
from xietong.lib.flash import anchor_tag, saved_at
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.orgs.actions import PersonRefused, proposed_message
from xietong.orgs.invitations import IssuedInvitation, Mailed, NewPerson
from xietong.orgs.models import Department, HeadProposal, HeadProposalState, Person
from xietong.orgs.roles import Action


@login_required
@require_http_methods(["GET", "POST"])
def departments(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    # Proposed heads wait for staff who manage people: the page says so under the head.
    pending = HeadProposal.objects.filter(state=HeadProposalState.PENDING).select_related(
        "person", "department"
    )
    participants = list(
        Participant.objects.filter(collaboration=ws.collab)
        .select_related("department", "department__head", "liaison")
        .prefetch_related(Prefetch("department__head_proposals", queryset=pending, to_attr="pending_heads"))
    )
    add_form = NewParticipantForm(prefix="new")
    current = {p.pk: _values(p) for p in participants}
    edit_forms = {p.pk: ParticipantForm(prefix=f"p{p.pk}", initial=current[p.pk]) for p in participants}
    found: dict[int, list[FieldConflict]] = {}
    stale = False
    waiting = pending_of(ws.collab)
    pending_typed: dict[int, tuple[str, str]] = {}
    pending_errors: dict[int, tuple[str, str]] = {}
    if request.method == "POST":
        ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
        actor = signed_in_person(request)
        assert actor is not None
        if "invite_pending" in request.POST:
            # "全部邀请": every waiting name at once, or none (the values typed come back with the errors).
            pending_typed = {
                p.pk: (
                    request.POST.get(f"pending-{p.pk}-email", ""),
                    request.POST.get(f"pending-{p.pk}-phone", ""),
                )
                for p in waiting
            }
            rows_in = [PendingInvite(p, *pending_typed[p.pk]) for p in waiting]
            try:
                invited = do_invite_pending(ws.collab, rows_in, actor=actor)
            except PendingRefused as refused:
                pending_errors = refused.errors
            else:
                for invitation in invited:
                    _say_invited(request, invitation)
                return redirect(reverse("collabs:departments", args=[ws.collab.slug]) + "#step2")
        elif "add" in request.POST:
            add_form = NewParticipantForm(request.POST, prefix="new")
            if add_form.is_valid():
                d = add_form.cleaned_data
                named = Department.objects.select_related("head").filter(name=d["department"].strip()).first()
                liaison = add_form.pick("liaison", named)
                head = add_form.pick("head", named, current=named.head if named else None)
                said: list[Unsent] = []
                try:
                    _check_invites([(add_form, "liaison", liaison), (add_form, "head", head)])
                    with transaction.atomic():
                        participant = do_add_participant(
                            ws.collab,
                            department=d["department"].strip(),
                            liaison=_person(said, ws.collab, add_form, "liaison", liaison, actor),
                            duties=d["duties"],
                            role=d["role"],
                            head=_person(said, ws.collab, add_form, "head", head, actor),
                            actor=actor,
                        )
                except _Unpicked:
                    pass
                except ValueError:
                    add_form.add_error("department", _("该部门已在参与部门中(每个部门只列一次)"))
                else:
                    for unsent in said:
                        _say_invited(request, unsent.send())
                    return saved_at(
                        request,
                        reverse("collabs:departments", args=[ws.collab.slug]),
                        f"participant-{participant.pk}",
                        _("已添加部门 %(name)s。") % {"name": d["department"]},
                    )
        else:
            # One save for the whole table: every row's typed values go in together, or none.
            # A row whose fields were not posted (an older page, an API-like client) stays as it is.
            sent = [p for p in participants if f"p{p.pk}-role" in request.POST]
            for p in sent:
                posted = resolve(request.POST, f"p{p.pk}", current[p.pk])
                edit_forms[p.pk] = ParticipantForm(posted, prefix=f"p{p.pk}", initial=current[p.pk])
            if all([edit_forms[p.pk].is_valid() for p in sent]):
                changed = [p for p in sent if edit_forms[p.pk].has_changed()]
                picked = {
                    p.pk: (
                        edit_forms[p.pk].pick("liaison", p.department, current=p.liaison),
                        edit_forms[p.pk].pick("head", p.department, current=p.department.head),
                    )
                    for p in changed
                }
                said = []
                try:
                    _check_invites(
                        [
                            (edit_forms[p.pk], name, picked[p.pk][i])
                            for p in changed
                            for i, name in enumerate(("liaison", "head"))
                        ]
                    )
                    with transaction.atomic():
                        check_version(ws.collab, pk_param(request.POST.get("version")))
                        for p in changed:
                            d, (liaison, head) = edit_forms[p.pk].cleaned_data, picked[p.pk]
                            do_update_participant(
                                p,
                                liaison=_person(said, ws.collab, edit_forms[p.pk], "liaison", liaison, actor),
                                duties=d["duties"],
                                role=d["role"],
                                head=_person(said, ws.collab, edit_forms[p.pk], "head", head, actor),
                                actor=actor,
                            )
                except _Unpicked:
                    pass
                except VersionConflict as conflict:
                    # Keep every row as typed, now at the current version, the current values beside it.
                    stale, ws.collab.version = True, conflict.current
                    found = {p.pk: conflicts(edit_forms[p.pk], current[p.pk]) for p in sent}
                else:
                    for unsent in said:
                        _say_invited(request, unsent.send())
                    return _saved(request, ws.collab.slug, changed, edit_forms)
    by_row = ws.findings_by_object(2)
    rows = [
        (
            p,
            edit_forms[p.pk],
            by_row.get(f"departments[{i}]", []),
            found.get(p.pk, []),
            edit_forms[p.pk].picker("liaison"),
            edit_forms[p.pk].picker("head"),
        )
        for i, p in enumerate(participants)
    ]
    return render_step(
        request,
        ws,
        "collabs/departments.html",
        2,
        _("识别参与部门及核心人员"),
        rows=rows,
        add_form=add_form,
        editable=ws.can(Action.EDIT_COLLABORATION),
        findings=ws.findings_of_step(2),
        known_departments=Department.objects.order_by("name").values_list("name", flat=True),
        stale=stale,
        add_liaison=add_form.picker("liaison"),
        add_head=add_form.picker("head"),
        pending=[
            (p, *pending_typed.get(p.pk, (p.email, p.phone)), pending_errors.get(p.pk)) for p in waiting
        ],
    )


class _Unpicked(Exception):
    """A people field needs a choice (or its invitation was refused): the form comes back as typed."""


def _refuse_invite(form: PeopleFields, name: str, new: NewPerson, field: str, message: str) -> None:
    """Put a refused invitation's reason on the field at fault; the invitation inputs stay shown."""
    form.add_error({"email": f"{name}_email", "phone": f"{name}_phone"}.get(field, name), message)
    form.unresolved[name] = PersonUnresolved(new.display_name, [])


def _check_invites(fields: Sequence[tuple[PeopleFields, str, Picked]]) -> None:
    """Raise ``_Unpicked`` when a field needs a choice or one of the people to invite cannot be
    invited (checked all together before any mail goes out)."""
    new = [(form, name, picked) for form, name, picked in fields if isinstance(picked, NewPerson)]
    errors = check_new_people([picked for _form, _name, picked in new])
    for i, (field, message) in errors.items():
        form, name, picked = new[i]
        assert isinstance(picked, NewPerson)
        _refuse_invite(form, name, picked, field, message)
    if any(form.errors for form, _name, _picked in fields):
        raise _Unpicked


def _person(
    said: list[Unsent],
    collab: Collaboration,
    form: PeopleFields,
    name: str,
    picked: Picked,
    actor: Person,
) -> Person | None:
    """Return the person of a resolved people field, inviting them first when they are new.

    An invitation refused here after all (someone took the e-mail meanwhile)
    raises ``_Unpicked``: the surrounding transaction writes nothing. The mail
    goes out (``said``) only once that transaction has committed.
    """
    if not isinstance(picked, NewPerson):
        return picked
    try:
        issued = do_invite_for_collaboration(collab, picked, actor=actor)
    except PersonRefused as refused:
        _refuse_invite(form, name, picked, refused.field, str(refused))
        raise _Unpicked from None
    said.append(issued)
    return issued.person


def _say_invited(request: HtmxHttpRequest, issued: IssuedInvitation) -> None:
    """Tell who invited what became of the invitation; the link itself only when no mail carried it."""
    name = issued.invitation.person.name
    if issued.mailed == Mailed.SENT:
        messages.success(
            request, _("已邀请 %(name)s:邀请邮件已发送。") % {"name": name}, extra_tags=anchor_tag("step2")
        )
    else:
        messages.warning(
            request,
            _("已邀请 %(name)s。请把这个一次性链接发给对方(仅显示这一次):%(link)s")
            % {"name": name, "link": issued.link},
            extra_tags=anchor_tag("step2"),
        )


def _values(p: Participant) -> dict[str, Any]:
    """Return a row's values as its form holds them (the initial data, "theirs" in a conflict)."""
    return {
        "liaison": p.liaison.name if p.liaison else "",
        "duties": p.duties,
        "role": p.role,
        "head": p.department.head.name if p.department.head else "",
    }


def _saved(
    request: HtmxHttpRequest, slug: str, changed: Sequence[Participant], forms: dict[int, ParticipantForm]
) -> HttpResponse:
    """Say what was saved, next to the table, and name the heads that now wait for confirmation."""
    url = reverse("collabs:departments", args=[slug])
    if not changed:
        return saved_at(request, url, "step2", _("没有需要保存的修改。"), level=messages.INFO)
    names = "、".join(p.department.name for p in changed)
    response = saved_at(request, url, "step2", _("已保存 %(name)s。") % {"name": names})
    for p in changed:
        head = forms[p.pk].cleaned_data["head"].strip()
        if not head:
            continue
        proposal = (
            HeadProposal.objects.filter(
                department=p.department_id, state=HeadProposalState.PENDING, person__display_name=head
            )
            .select_related("person", "department")
            .first()
        )
        if proposal is not None:
            messages.info(request, proposed_message(proposal), extra_tags=anchor_tag("step2"))
    return response


@login_required
@require_POST
def remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    participant = get_object_in(ws.collab, Participant.objects.select_related("department"), pk)
    do_remove_participant(participant, actor=signed_in_person(request))
    messages.success(request, _("已移除部门 %(name)s。") % {"name": participant.department.name})
    url = reverse("collabs:departments", args=[ws.collab.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
