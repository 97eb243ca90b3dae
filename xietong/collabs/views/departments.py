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
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.actions.departments import (
    do_add_participant,
    do_remove_participant,
    do_update_participant,
)
from xietong.collabs.forms.departments import NewParticipantForm, ParticipantForm
from xietong.collabs.models import Participant
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.conflicts import FieldConflict, conflicts, resolve
from xietong.lib.flash import anchor_tag, saved_at
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.orgs.actions import proposed_message
from xietong.orgs.models import Department, HeadProposal, HeadProposalState
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
    if request.method == "POST":
        ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
        if "add" in request.POST:
            add_form = NewParticipantForm(request.POST, prefix="new")
            if add_form.is_valid():
                d = add_form.cleaned_data
                try:
                    participant = do_add_participant(
                        ws.collab,
                        department=d["department"].strip(),
                        liaison=d["liaison"].strip(),
                        duties=d["duties"],
                        role=d["role"],
                        actor=signed_in_person(request),
                    )
                except ValueError:
                    add_form.add_error("department", _("该部门已在参与部门中(每个部门只列一次)"))
                else:
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
                try:
                    with transaction.atomic():
                        check_version(ws.collab, pk_param(request.POST.get("version")))
                        for p in changed:
                            d = edit_forms[p.pk].cleaned_data
                            do_update_participant(
                                p,
                                liaison=d["liaison"].strip(),
                                duties=d["duties"],
                                role=d["role"],
                                head=d["head"].strip(),
                                actor=signed_in_person(request),
                            )
                except VersionConflict as conflict:
                    # Keep every row as typed, now at the current version, the current values beside it.
                    stale, ws.collab.version = True, conflict.current
                    found = {p.pk: conflicts(edit_forms[p.pk], current[p.pk]) for p in sent}
                else:
                    return _saved(request, ws.collab.slug, changed, edit_forms)
    by_row = ws.findings_by_object(2)
    rows = [
        (p, edit_forms[p.pk], by_row.get(f"departments[{i}]", []), found.get(p.pk, []))
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
