"""Step 7's change requests (动态调整): filing one, and an approver's decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.tracking.actions.changes import Approver
from xietong.tracking.models import ChangeField


@dataclass(frozen=True)
class TargetChoice:
    """A row a person may ask to change: ``key`` is ``task:12``, ``subgoal:5``, ``metric:3`` or ``goal``."""

    key: str
    label: str
    kind: str  # task, subgoal, metric, goal
    fixed_deadline: bool = True  # a sub-goal's time limit is a fixed date


FIELDS_OF = {
    "task": (ChangeField.DEADLINE, ChangeField.OWNER, ChangeField.STANDARD),
    "subgoal": (ChangeField.DEADLINE, ChangeField.OWNER, ChangeField.TARGET),
    "metric": (ChangeField.TARGET,),
    "goal": (ChangeField.DEADLINE,),
}


def change_problem(
    kind: str, field: str, value: str, departments: Sequence[str], *, fixed: bool = True
) -> tuple[str, str] | None:
    """Return ``(form field, reason)`` when ``field`` of a ``kind`` row cannot become ``value``, else None.

    The page's form and the API ask the same questions before filing.
    """
    if field not in FIELDS_OF[kind]:
        return "field", str(_("该对象没有这一项可以变更"))
    if field == ChangeField.DEADLINE and kind == "subgoal" and not fixed:
        return "field", str(_("只有固定日期的子目标才有时间节点可以调整"))
    if field == ChangeField.DEADLINE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "new_value", str(_("请填写日期,格式为 2024-09-30"))
    elif field == ChangeField.TARGET:
        try:
            number: Decimal | None = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= Decimal(10) ** 16:
            return "new_value", str(_("目标值应为数字"))
    elif field == ChangeField.OWNER and value not in departments:
        return "new_value", str(_("%(name)s 不是参与部门") % {"name": value})
    return None


class ChangeRequestForm(LimitedForm):
    target = forms.ChoiceField(label=_("变更对象"))
    field = forms.ChoiceField(label=_("变更内容"), choices=ChangeField.choices)
    new_value = forms.CharField(
        label=_("新值"),
        max_length=500,
        help_text=_("时间节点填日期(2024-09-30),责任部门填参与部门名称,目标值填数字"),
    )
    reason = forms.CharField(label=_("变更原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, data: Any = None, *, targets: Sequence[TargetChoice], departments: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.targets = {t.key: t for t in targets}
        self.departments = list(departments)
        self.fields["target"].choices = [(t.key, t.label) for t in targets]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = self.targets.get(data.get("target") or "")
        field, value = data.get("field"), (data.get("new_value") or "").strip()
        if target is None or not field or not value:
            return data
        problem = change_problem(target.kind, field, value, self.departments, fixed=target.fixed_deadline)
        if problem is not None:
            self.add_error(*problem)
        data["new_value"] = value
        return data

    @property
    def target_choice(self) -> TargetChoice:
        return self.targets[self.cleaned_data["target"]]


class DecisionForm(LimitedForm):
    approver = forms.ChoiceField(choices=[(a.value, a.value) for a in Approver], widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    comment = forms.CharField(label=_("审批意见"), required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("驳回时请写明原因"))
        return data
