"""Step 4: one row of the responsibility table."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.actions.tasks import TaskInput
from xietong.collabs.models import TaskStatus
from xietong.lib.limits import LimitedForm
from xietong.orgs.models import Department


class TaskForm(LimitedForm):
    """A row; the departments offered are the collaboration's participants."""

    description = forms.CharField(label=_("任务描述"), widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.TypedChoiceField(label=_("责任部门"), required=False, coerce=int, empty_value=None)
    standard = forms.CharField(label=_("交付标准"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(
        label=_("时间节点"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    collaborators = forms.TypedMultipleChoiceField(
        label=_("协作方"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    status = forms.ChoiceField(label=_("状态"), choices=TaskStatus.choices, initial=TaskStatus.NOT_STARTED)
    blocked_reason = forms.CharField(label=_("阻塞原因"), required=False, max_length=500)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        choices = [(d.pk, d.name) for d in departments]
        self.fields["department"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        self.fields["collaborators"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == TaskStatus.BLOCKED and not data.get("blocked_reason"):
            self.add_error("blocked_reason", _("阻塞的任务请写明原因(在等待哪个部门、什么事项)"))
        if data.get("department") and data.get("department") in (data.get("collaborators") or []):
            self.add_error("collaborators", _("责任部门不必再列为协作方"))
        return data

    def to_input(self) -> TaskInput:
        d = self.cleaned_data
        return TaskInput(
            description=d["description"].strip(),
            department=self.departments.get(d["department"]) if d["department"] else None,
            standard=d["standard"].strip(),
            deadline=d["deadline"],
            collaborators=[self.departments[pk] for pk in d["collaborators"]],
            status=d["status"],
            blocked_reason=d["blocked_reason"].strip(),
        )
