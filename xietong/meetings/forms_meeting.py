"""Forms of a meeting's page: preparation, offers and needs, minutes, confirmations.

Department and people choices are plain choices built from lists the page
has already read (the participating departments, the people of the
collaboration), so rendering a form never costs a query and a page shows
the same number of queries for ten rows or two hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.meetings.actions.contributions import ContributionInput
from xietong.meetings.actions.minutes import ItemInput
from xietong.meetings.models import PROXY_REASON_MAX, ContributionKind, MinutesItemKind
from xietong.orgs.models import Department, Person

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class _Form(LimitedForm):
    """Labels stand above their inputs in bold: no colon after them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _department_choices(departments: Sequence[Department]) -> list[tuple[str, str]]:
    return [("", "—"), *((str(d.pk), d.name) for d in departments)]


def _department(departments: Sequence[Department], value: str | None) -> Department | None:
    if not value:
        return None
    return next((d for d in departments if str(d.pk) == value), None)


class MeetingDetailsForm(_Form):
    """When, how long and where. The time is asked for the kickoff (and ad-hoc meetings) only:
    an occurrence of a regular meeting takes its time from the communication plan."""

    scheduled_at = forms.DateTimeField(
        label=_("会议时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
        error_messages={"required": _("请填写会议时间")},
    )
    duration_minutes = forms.IntegerField(label=_("时长(分钟)"), min_value=5, max_value=24 * 60, initial=60)
    location = forms.CharField(
        label=_("地点"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:3 楼大会议室 / 线上会议链接")}),
    )

    def __init__(self, *args: Any, with_time: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_time:
            del self.fields["scheduled_at"]


class AttendeesForm(_Form):
    """Who is invited, chosen among the people of the collaboration."""

    attendees = forms.MultipleChoiceField(
        label=_("参会人"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, people: Sequence[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = list(people)
        field = self.fields["attendees"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(p.pk), p.name) for p in self.people]

    def chosen(self) -> list[Person]:
        wanted = set(self.cleaned_data["attendees"])
        return [p for p in self.people if str(p.pk) in wanted]


class AgendaItemForm(_Form):
    title = forms.CharField(label=_("议程"), max_length=200, error_messages={"required": _("请填写议程内容")})
    notes = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MaterialForm(_Form):
    """A file sent with the agenda; its size and real type are checked by the action."""

    file = forms.FileField(
        label=_("选择文件"),
        error_messages={"required": _("请选择要上传的文件"), "empty": _("文件是空的")},
    )


class ContributionForm(_Form):
    """What a department offers, or needs from another department (向谁提出)."""

    kind = forms.ChoiceField(label=_("类别"), choices=ContributionKind.choices, widget=forms.RadioSelect)
    department = forms.ChoiceField(label=_("部门"), error_messages={"required": _("请选择部门")})
    counterpart = forms.ChoiceField(label=_("向谁提出"), required=False)
    text = forms.CharField(
        label=_("内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明可提供的支持或需要的配合")},
    )

    def __init__(
        self,
        *args: Any,
        departments: Sequence[Department],
        own: Sequence[Department],
        **kwargs: Any,
    ) -> None:
        """``departments``: every participating department; ``own``: those the person may record for."""
        super().__init__(*args, **kwargs)
        self.departments = list(departments)
        self.own = list(own)
        self._set_choices("department", self.own)
        self._set_choices("counterpart", self.departments)

    def _set_choices(self, name: str, departments: Sequence[Department]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _department_choices(departments)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        department = _department(self.own, data.get("department"))
        counterpart = _department(self.departments, data.get("counterpart"))
        if data.get("kind") == ContributionKind.NEED:
            if counterpart is None and "counterpart" not in self.errors:
                self.add_error("counterpart", _("需要的配合须写明向哪个部门提出"))
        elif data.get("kind") == ContributionKind.OFFER:
            counterpart = None  # an offer is to everyone
        if department is not None and counterpart is not None and department.pk == counterpart.pk:
            self.add_error("counterpart", _("不能向本部门提出需要的配合"))
        data["department_obj"], data["counterpart_obj"] = department, counterpart
        return data

    def to_input(self) -> ContributionInput:
        data = self.cleaned_data
        return ContributionInput(
            kind=data["kind"],
            department=data["department_obj"],
            text=data["text"].strip(),
            counterpart=data["counterpart_obj"],
        )


class MinutesSummaryForm(_Form):
    summary = forms.CharField(
        label=_("纪要概述"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("出席情况、会议要点")}),
    )


class MinutesItemForm(_Form):
    """A decision, an action item (owner department, delivery standard, deadline) or an open issue."""

    kind = forms.ChoiceField(label=_("类别"), choices=MinutesItemKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写纪要条目的内容")},
    )
    department = forms.ChoiceField(label=_("责任部门"), required=False)
    standard = forms.CharField(
        label=_("交付标准"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deadline = forms.DateField(
        label=_("时间节点"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, departments: Sequence[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departments = list(departments)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _department_choices(self.departments)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        department = _department(self.departments, data.get("department"))
        if data.get("kind") == MinutesItemKind.ACTION:
            if department is None and "department" not in self.errors:
                self.add_error("department", _("行动项须指定责任部门"))
            if not (data.get("standard") or "").strip():
                self.add_error("standard", _("行动项须写明交付标准"))
            if data.get("deadline") is None and "deadline" not in self.errors:
                self.add_error("deadline", _("行动项须写明时间节点"))
        data["department_obj"] = department
        return data

    def to_input(self) -> ItemInput:
        data = self.cleaned_data
        action = data["kind"] == MinutesItemKind.ACTION
        return ItemInput(
            kind=data["kind"],
            text=data["text"].strip(),
            department=data["department_obj"],
            standard=data["standard"].strip() if action else "",
            deadline=data["deadline"] if action else None,
        )


class CancelMeetingForm(_Form):
    reason = forms.CharField(
        label=_("取消原因"),
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": 500, "placeholder": _("将随取消通知发给参会人")}
        ),
        error_messages={"required": _("取消会议须写明原因")},
    )


class CorrectionForm(_Form):
    comment = forms.CharField(
        label=_("更正意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("请写明需要更正的内容")}),
        error_messages={"required": _("申请更正须写明更正意见")},
    )


class ProxyConfirmForm(_Form):
    """代确认: why the initiator or an administrator records a head's confirmation for them."""

    reason = forms.CharField(
        label=_("代确认理由"),
        max_length=PROXY_REASON_MAX,
        widget=forms.TextInput(
            attrs={"maxlength": PROXY_REASON_MAX, "placeholder": _("例如:已电话确认,负责人出差")}
        ),
        error_messages={
            "required": _("请填写代确认理由,例如“已电话确认”"),
            "max_length": _("代确认理由不能超过 %(limit_value)d 个字"),
        },
    )
