"""Step 7's forms: a progress update of one row, and the remarks of a published weekly list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import Task, TaskStatus
from xietong.lib.limits import LimitedForm
from xietong.orgs.models import Department
from xietong.tracking.actions.progress import ProgressInput


class ProgressForm(LimitedForm):
    """A liaison's update of one row: status, percent, note, next step, blocker.

    The departments a blocked row may wait on are the participating ones
    other than the row's own.
    """

    status = forms.ChoiceField(label=_("状态"), choices=TaskStatus.choices)
    percent = forms.IntegerField(
        label=_("完成百分比"), min_value=0, max_value=100, widget=forms.NumberInput(attrs={"step": 5})
    )
    note = forms.CharField(
        label=_("进展说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(
        label=_("下一步计划"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    blocked_reason = forms.CharField(
        label=_("阻塞原因"),
        required=False,
        max_length=500,
        help_text=_("状态为“阻塞”时必填:卡在哪里、需要哪个部门配合"),
    )
    waiting_on = forms.TypedChoiceField(label=_("等待哪个部门"), required=False, coerce=int, empty_value=None)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, task: Task, departments: list[Department], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"progress{task.pk}_%s")
        super().__init__(*args, **kwargs)
        self.task = task
        self.departments = {d.pk: d for d in departments if d.pk != task.department_id}
        choices = [(d.pk, d.name) for d in self.departments.values()]
        self.fields["waiting_on"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, task: Task) -> dict[str, Any]:
        return {
            "status": task.status,
            "percent": task.percent,
            "blocked_reason": task.blocked_reason,
            "waiting_on": task.waiting_on_id,
            "version": task.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == TaskStatus.BLOCKED and not (data.get("blocked_reason") or "").strip():
            self.add_error("blocked_reason", _("阻塞的任务请写明原因(在等待哪个部门、什么事项)"))
        return data

    def to_input(self) -> ProgressInput:
        d = self.cleaned_data
        return ProgressInput(
            status=d["status"],
            percent=d["percent"],
            note=d["note"].strip(),
            next_step=d["next_step"].strip(),
            blocked_reason=d["blocked_reason"].strip(),
            waiting_on=self.departments.get(d["waiting_on"]) if d["waiting_on"] else None,
        )


class PublishForm(LimitedForm):
    """The initiator's remarks on a week's list, published with it."""

    remarks = forms.CharField(
        label=_("发起部门备注"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("本周重点、需要协调的事项、下周安排:随清单一起发布。"),
    )
