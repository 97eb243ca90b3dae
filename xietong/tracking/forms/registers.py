"""The forms of step 7's registers: issue log, risks, allocations, milestones and the process fields.

Departments are offered from the participating ones the person may write
for (``departments``); a form turns into the action's input, the action
validates what only it can.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.meetings.models import Meeting
from xietong.orgs.models import Department
from xietong.tracking.actions.registers import AllocationInput, IssueInput, RiskInput
from xietong.tracking.models import IssueEntry, IssueStatus, Level, Risk

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def area(rows: int = 2) -> forms.Textarea:
    """Return a text area ``rows`` lines high."""
    return forms.Textarea(attrs={"rows": rows})


class DepartmentsForm(LimitedForm):
    """A form with department selects offered from ``departments``."""

    department_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        for name in self.department_fields:
            field = self.fields[name]
            blank = [] if field.required else [("", "—")]
            field.choices = [*blank, *((d.pk, d.name) for d in departments)]  # type: ignore[attr-defined]

    def department(self, name: str) -> Department | None:
        value = self.cleaned_data.get(name)
        return self.departments.get(value) if value else None


class IssueForm(DepartmentsForm):
    department_fields = ("raised_by", "owner")

    title = forms.CharField(label=_("问题"), max_length=1000, widget=area())
    raised_by = forms.TypedChoiceField(label=_("提出部门"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("负责部门"), required=False, coerce=int, empty_value=None)
    decision_needed = forms.CharField(label=_("需要的决策"), required=False, max_length=2000, widget=area())
    decided_in = forms.TypedChoiceField(label=_("决策会议"), required=False, coerce=int, empty_value=None)
    resolution = forms.CharField(label=_("解决方案"), required=False, max_length=2000, widget=area())
    due_date = forms.DateField(label=_("期限"), required=False, widget=_DATE)
    status = forms.ChoiceField(label=_("状态"), choices=IssueStatus.choices)

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meetings = {m.pk: m for m in meetings}
        self.fields["decided_in"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *(
                (m.pk, f"{m.title} {m.scheduled_at:%Y-%m-%d}" if m.scheduled_at else m.title)
                for m in meetings
            ),
        ]

    @staticmethod
    def initial_for(issue: IssueEntry) -> dict[str, Any]:
        return {
            "title": issue.title,
            "raised_by": issue.raised_by_id,
            "owner": issue.owner_id,
            "decision_needed": issue.decision_needed,
            "decided_in": issue.decided_in_id,
            "resolution": issue.resolution,
            "due_date": issue.due_date,
            "status": issue.status,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == IssueStatus.CLOSED and not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("关闭问题前请写明解决方案"))
        return data

    def to_input(self) -> IssueInput:
        d = self.cleaned_data
        return IssueInput(
            title=d["title"],
            raised_by=self.department("raised_by"),
            owner=self.department("owner"),
            decision_needed=d["decision_needed"],
            decided_in=self.meetings.get(d["decided_in"]) if d["decided_in"] else None,
            resolution=d["resolution"],
            due_date=d["due_date"],
            status=d["status"],
        )


class RiskForm(DepartmentsForm):
    department_fields = ("owner",)

    description = forms.CharField(label=_("风险描述"), max_length=1000, widget=area())
    probability = forms.ChoiceField(label=_("发生概率"), choices=Level.choices, initial=Level.MEDIUM)
    impact = forms.ChoiceField(label=_("影响程度"), choices=Level.choices, initial=Level.MEDIUM)
    owner = forms.TypedChoiceField(label=_("负责部门"), required=False, coerce=int, empty_value=None)
    response_plan = forms.CharField(label=_("风险应对方案"), required=False, max_length=2000, widget=area())
    trigger = forms.CharField(label=_("触发条件"), required=False, max_length=500)

    @staticmethod
    def initial_for(risk: Risk) -> dict[str, Any]:
        return {
            "description": risk.description,
            "probability": risk.probability,
            "impact": risk.impact,
            "owner": risk.owner_id,
            "response_plan": risk.response_plan,
            "trigger": risk.trigger,
        }

    def to_input(self) -> RiskInput:
        d = self.cleaned_data
        return RiskInput(
            description=d["description"],
            probability=d["probability"],
            impact=d["impact"],
            owner=self.department("owner"),
            response_plan=d["response_plan"],
            trigger=d["trigger"],
        )


class AllocationForm(DepartmentsForm):
    department_fields = ("from_department", "to_department")

    resource = forms.CharField(label=_("资源"), max_length=200)
    from_department = forms.TypedChoiceField(label=_("提供部门"), coerce=int)
    to_department = forms.TypedChoiceField(label=_("使用部门"), coerce=int)
    rule = forms.CharField(label=_("分配规则"), required=False, max_length=2000, widget=area())
    responsibility = forms.CharField(label=_("使用责任"), required=False, max_length=2000, widget=area())
    return_date = forms.DateField(label=_("归还日期"), required=False, widget=_DATE)

    @staticmethod
    def initial_for(allocation: Any) -> dict[str, Any]:
        return {
            "resource": allocation.resource,
            "from_department": allocation.from_department_id,
            "to_department": allocation.to_department_id,
            "rule": allocation.rule,
            "responsibility": allocation.responsibility,
            "return_date": allocation.return_date,
        }

    def to_input(self) -> AllocationInput:
        """Return the action's input; ``AllocationRefused`` when a department would lend to itself."""
        d = self.cleaned_data
        giver, taker = self.department("from_department"), self.department("to_department")
        assert giver is not None and taker is not None
        return AllocationInput(
            resource=d["resource"],
            from_department=giver,
            to_department=taker,
            rule=d["rule"],
            responsibility=d["responsibility"],
            return_date=d["return_date"],
        )


class MilestoneForm(LimitedForm):
    name = forms.CharField(label=_("里程碑"), max_length=200)
    due_date = forms.DateField(label=_("计划日期"), widget=_DATE)


class ProcessForm(DepartmentsForm):
    department_fields = ("process_owner",)

    process_owner = forms.TypedChoiceField(
        label=_("流程归属部门"), required=False, coerce=int, empty_value=None
    )
    optimisation_target = forms.CharField(
        label=_("优化目标"), required=False, max_length=2000, widget=area(3)
    )
