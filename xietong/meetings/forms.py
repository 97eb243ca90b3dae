"""Forms of steps 3 (the kickoff meeting) and 6 (the communication plan)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.forms.subgoals import RecurrencePicker
from xietong.meetings.actions.occurrences import MEETING_CHANNELS
from xietong.meetings.actions.plan import RuleFields
from xietong.meetings.models import (
    Binding,
    Channel,
    CommunicationRule,
    Frequency,
    HolidayPolicy,
    Scenario,
)

# A regular meeting lasts an hour unless the plan says otherwise.
DEFAULT_DURATION = 60

# Outputs are typed as one text: separated by 、 , ; (full- or half-width) or new lines.
_OUTPUT_SEPARATORS = re.compile(r"[、,,;;\n\r]+")


def split_outputs(text: str) -> list[str]:
    """Return the outputs written in ``text``, trimmed, each once, in order.

    "周进度清单、问题跟踪表" and "周进度清单; 问题跟踪表" give the same two.
    Book-title marks are kept: 《周进度清单》 is how the guide writes them.
    """
    parts = (part.strip() for part in _OUTPUT_SEPARATORS.split(text))
    return list(dict.fromkeys(part for part in parts if part))


class CommunicationRuleForm(RecurrencePicker):
    """Add or edit one row of the communication plan.

    Scenario and channel are required (a row is about something); owner,
    frequency and outputs may be left for later, and C03 reports them.
    """

    time_label = _("时间(可选)")
    time_help = _("如例会在 10:00 召开")

    scenario = forms.ChoiceField(label=_("沟通场景"), choices=[("", "—"), *Scenario.choices])
    channel = forms.ChoiceField(label=_("方式"), choices=[("", "—"), *Channel.choices])
    frequency = forms.ChoiceField(
        label=_("频率"),
        required=False,
        widget=forms.RadioSelect,
        choices=[("", _("未设定")), *Frequency.choices],
    )
    outputs = forms.CharField(
        label=_("输出物"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如:周进度清单、问题跟踪表")}),
        help_text=_("多个输出物用 、 , ; 或换行分隔"),
    )
    owner = forms.CharField(
        label=_("责任人"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:发起部门负责人")}),
    )
    admin = forms.CharField(
        label=_("群管理员"),
        required=False,
        max_length=200,
        help_text=_("即时通讯群须指定群管理员,及时回应问题并同步重要信息"),
    )
    # For IM groups: the group and the robot notifications go through.
    group_name = forms.CharField(
        label=_("群名称"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:客户投诉快速响应协作群")}),
    )
    binding = forms.ChoiceField(
        label=_("通知渠道"),
        required=False,
        choices=Binding.choices,
        help_text=_("提醒和通知发往哪里;群机器人的地址由管理员在后台配置"),
    )
    # For regular meetings (例会): where, how long, and what a statutory holiday does.
    location = forms.CharField(
        label=_("会议地点"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:三楼会议室 / 线上会议链接")}),
    )
    duration_minutes = forms.IntegerField(
        label=_("会议时长(分钟)"), required=False, min_value=5, max_value=24 * 60
    )
    holiday_policy = forms.ChoiceField(
        label=_("遇法定节假日"),
        required=False,
        choices=HolidayPolicy.choices,
        help_text=_("按中国法定节假日与调休安排判断;顺延至下一个工作日的同一时间"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Unbound add forms show the defaults a new row gets.
        self.fields["duration_minutes"].initial = DEFAULT_DURATION
        self.fields["holiday_policy"].initial = HolidayPolicy.POSTPONE
        self.fields["binding"].initial = Binding.INBOX

    @classmethod
    def initial_for(cls, rule: CommunicationRule) -> dict[str, Any]:
        """Return the form's initial values for a stored rule."""
        return {
            "scenario": rule.scenario,
            "channel": rule.channel,
            "frequency": rule.frequency,
            "outputs": str(_("、")).join(rule.outputs),
            "owner": rule.owner,
            "admin": rule.admin,
            "group_name": rule.group_name,
            "binding": rule.binding or Binding.INBOX,
            "location": rule.location,
            "duration_minutes": rule.duration_minutes,
            "holiday_policy": rule.holiday_policy,
            **cls.picker_initial(rule.rrule if rule.frequency == Frequency.RRULE else ""),
        }

    def recurrence_used(self, data: dict[str, Any]) -> bool:
        return data.get("frequency") == Frequency.RRULE

    def clean_outputs(self) -> list[str]:
        return split_outputs(self.cleaned_data.get("outputs") or "")

    def fields_to_save(self) -> RuleFields:
        """Return the cleaned values; each channel keeps only what applies to it.

        The group admin, group name and robot belong to IM groups (an e-mail
        row notifies by e-mail, the others in the inbox); place, length and
        holiday policy to meetings (other rows keep the defaults).
        """
        data = self.cleaned_data
        channel = data["channel"]
        im = channel == Channel.IM_GROUP
        meeting = channel in MEETING_CHANNELS
        if im:
            binding = data["binding"] or Binding.INBOX
        else:
            binding = Binding.EMAIL if channel == Channel.EMAIL else Binding.INBOX
        return RuleFields(
            scenario=data["scenario"],
            channel=channel,
            frequency=data["frequency"] or "",
            rrule=data["rrule"],
            outputs=tuple(data["outputs"]),
            owner=data["owner"].strip(),
            admin=data["admin"].strip() if im else "",
            group_name=data["group_name"].strip() if im else "",
            binding=binding,
            location=data["location"].strip() if meeting else "",
            duration_minutes=(data["duration_minutes"] or DEFAULT_DURATION) if meeting else DEFAULT_DURATION,
            holiday_policy=(data["holiday_policy"] or HolidayPolicy.POSTPONE)
            if meeting
            else HolidayPolicy.POSTPONE,
        )
