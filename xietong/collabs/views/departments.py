"""Step 2: participating departments, each with exactly one liaison."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xietong.collabs.access import signed_in_person
from xietong.collabs.actions.departments import (
    do_add_participant,
    do_remove_participant,
    do_update_participant,
)
from xietong.collabs.forms.departments import NewParticipantForm, ParticipantForm
from xietong.collabs.models import Participant
from xietong.collabs.workspace import open_workspace, render_step, save_unless_stale
from xietong.lib.http import HtmxHttpRequest
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
    edit_forms = {
        p.pk: ParticipantForm(
            prefix=f"p{p.pk}",
            initial={
                "liaison": p.liaison.name if p.liaison else "",
                "duties": p.duties,
                "role": p.role,
                "head": p.department.head.name if p.department.head else "",
            },
        )
        for p in participants
    }
    if request.method == "POST":
        ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
        if "add" in request.POST:
            add_form = NewParticipantForm(request.POST, prefix="new")
            if add_form.is_valid():
                d = add_form.cleaned_data
                try:
                    do_add_participant(
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
                    messages.success(request, _("已添加部门 %(name)s。") % {"name": d["department"]})
                    return redirect("collabs:departments", ws.collab.slug)
        else:
            participant = get_object_or_404(
                Participant, collaboration=ws.collab, pk=request.POST.get("participant")
            )
            form = ParticipantForm(request.POST, prefix=f"p{participant.pk}")
            edit_forms[participant.pk] = form
            if form.is_valid():
                d = form.cleaned_data
                saved = save_unless_stale(
                    request,
                    ws,
                    form,
                    lambda: do_update_participant(
                        participant,
                        liaison=d["liaison"].strip(),
                        duties=d["duties"],
                        role=d["role"],
                        head=d["head"].strip(),
                        actor=signed_in_person(request),
                    ),
                )
                if saved is not None:
                    messages.success(request, _("已保存 %(name)s。") % {"name": participant.department.name})
                    proposal = (
                        HeadProposal.objects.filter(
                            department=participant.department_id,
                            state=HeadProposalState.PENDING,
                            person__display_name=d["head"].strip(),
                        )
                        .select_related("person", "department")
                        .first()
                        if d["head"].strip()
                        else None
                    )
                    if proposal is not None:
                        messages.info(request, proposed_message(proposal))
                    return redirect("collabs:departments", ws.collab.slug)
    by_row = ws.findings_by_object(2)
    rows = [(p, edit_forms[p.pk], by_row.get(f"departments[{i}]", [])) for i, p in enumerate(participants)]
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
    )


@login_required
@require_POST
def remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    participant = get_object_or_404(
        Participant.objects.select_related("department"), collaboration=ws.collab, pk=pk
    )
    do_remove_participant(participant, actor=signed_in_person(request))
    messages.success(request, _("已移除部门 %(name)s。") % {"name": participant.department.name})
    url = reverse("collabs:departments", args=[ws.collab.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
