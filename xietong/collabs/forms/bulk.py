"""Step 4: forms over many rows: a card moved on the board, a bulk edit of the table, a paste from Excel."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.actions.bulk import UNCHANGED, BulkChanges
from xietong.collabs.forms.tasks import TaskForm
from xietong.collabs.models import TaskStatus
from xietong.lib.limits import LimitedForm
from xietong.orgs.models import Department, Person

# The bulk form's "nobody" among the assignees (an id is digits).
NOBODY = "none"
BLOCKED_NEEDS_REASON = _("阻塞的任务请写明原因(在等待哪个部门、什么事项)")


def _blocked_rule(form: forms.Form, data: dict[str, Any]) -> None:
    """The table's rule for blocked rows (``TaskForm.clean``): a reason is required."""
    if data.get("status") == TaskStatus.BLOCKED and not (data.get("blocked_reason") or "").strip():
        form.add_error("blocked_reason", BLOCKED_NEEDS_REASON)


class MoveForm(LimitedForm):
    """A card moved to another column of the board: its new status, and the reason when blocked.

    The fields are the row form's own (``TaskForm``), so the choices, the
    reason's limit and the blocked rule are the table's.
    """

    status = copy.deepcopy(TaskForm.base_fields["status"])
    blocked_reason = copy.deepcopy(TaskForm.base_fields["blocked_reason"])
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _blocked_rule(self, data)
        return data


class BulkForm(LimitedForm):
    """What to change on every selected row; an empty choice leaves the rows as they are."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("不变")), *TaskStatus.choices]
    )
    blocked_reason = copy.deepcopy(TaskForm.base_fields["blocked_reason"])
    deadline = forms.DateField(
        label=_("时间节点"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    assignee = forms.ChoiceField(label=_("执行人"), required=False)
    department = forms.TypedChoiceField(label=_("责任部门"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(label=_("修改原因"), max_length=500, widget=forms.TextInput)

    def __init__(
        self, *args: Any, departments: Sequence[Department], people: Sequence[Person], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        self.people = {p.pk: p for p in people}
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("不变")),
            *((d.pk, d.name) for d in departments),
        ]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("不变")),
            (NOBODY, _("不指定执行人")),
            *((p.pk, p.name) for p in people),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _blocked_rule(self, data)
        if not self.errors and self.changes().empty:
            self.add_error(None, _("请至少选择一项要修改的内容"))
        return data

    def changes(self) -> BulkChanges:
        d = self.cleaned_data
        assignee: Any = UNCHANGED
        if d.get("assignee") == NOBODY:
            assignee = None
        elif d.get("assignee"):
            assignee = self.people.get(int(d["assignee"]))
        status = d.get("status") or None
        return BulkChanges(
            status=status,
            blocked_reason=(d.get("blocked_reason") or "").strip() if status == TaskStatus.BLOCKED else "",
            deadline=d["deadline"] if d.get("deadline") else UNCHANGED,
            assignee=assignee,
            department=self.departments.get(d["department"]) if d.get("department") else None,
        )


def selection(post: Mapping[str, Any]) -> tuple[list[int], dict[int, int]]:
    """The rows ticked in a bulk form (``task``) and the version each was seen at (``version-<id>``)."""
    getlist = getattr(post, "getlist", None)
    raw = getlist("task") if getlist else []
    ids = sorted({int(v) for v in raw[:1000] if v.isdigit() and len(v) <= 18})
    versions = {}
    for pk in ids:
        seen = str(post.get(f"version-{pk}", ""))
        if seen.isdigit() and len(seen) <= 9:
            versions[pk] = int(seen)
    return ids, versions


class PasteForm(LimitedForm):
    """Rows copied from Excel, tab-separated, in the table's column order (or under its headers)."""

    rows = forms.CharField(
        label=_("从 Excel 粘贴多行"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("列的顺序:任务描述、责任部门、交付标准、时间节点、协作方;可带表头。"),
    )
