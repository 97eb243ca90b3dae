"""Forms of steps 3 (the kickoff meeting) and 6 (the communication plan)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.forms.subgoals import RecurrencePicker
from xietong.meetings.actions.plan import RuleFields
from xietong.meetings.models import Channel, CommunicationRule, Frequency, Scenario
from xietong.rules.snapshot import Kickoff

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
            **cls.picker_initial(rule.rrule if rule.frequency == Frequency.RRULE else ""),
        }

    def recurrence_used(self, data: dict[str, Any]) -> bool:
        return data.get("frequency") == Frequency.RRULE

    def clean_outputs(self) -> list[str]:
        return split_outputs(self.cleaned_data.get("outputs") or "")

    def fields_to_save(self) -> RuleFields:
        """Return the cleaned values; the group admin is kept for IM groups only."""
        data = self.cleaned_data
        channel = data["channel"]
        return RuleFields(
            scenario=data["scenario"],
            channel=channel,
            frequency=data["frequency"] or "",
            rrule=data["rrule"],
            outputs=tuple(data["outputs"]),
            owner=data["owner"].strip(),
            admin=data["admin"].strip() if channel == Channel.IM_GROUP else "",
        )


class KickoffForm(forms.Form):
    """Set the kickoff's time, or record that the agenda / the minutes went out now.

    Which of the three the person asked for is the submit button they
    pressed (``do``). Recording is refused when it makes no sense yet: an
    agenda or minutes for a meeting without a time, minutes before the
    meeting, or a second record of the same thing.
    """

    SCHEDULE = "schedule"
    AGENDA_SENT = "agenda_sent"
    MINUTES_ISSUED = "minutes_issued"

    scheduled_at = forms.DateTimeField(
        label=_("会议时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    do = forms.ChoiceField(
        choices=[(SCHEDULE, SCHEDULE), (AGENDA_SENT, AGENDA_SENT), (MINUTES_ISSUED, MINUTES_ISSUED)]
    )

    def __init__(self, *args: Any, kickoff: Kickoff | None, now: datetime, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.kickoff = kickoff
        self.now = now

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        do, kickoff = data.get("do"), self.kickoff
        scheduled = kickoff.scheduled_at if kickoff else None
        if do == self.SCHEDULE:
            if data.get("scheduled_at") is None and "scheduled_at" not in self.errors:
                self.add_error("scheduled_at", _("请填写会议时间"))
        elif do == self.AGENDA_SENT:
            if scheduled is None:
                self.add_error(None, _("请先设定会议时间,再记录议程发送"))
            elif kickoff and kickoff.agenda_sent_at is not None:
                self.add_error(None, _("议程发送时间已记录"))
        elif do == self.MINUTES_ISSUED:
            if scheduled is None:
                self.add_error(None, _("请先设定会议时间,再记录纪要发出"))
            elif self.now < scheduled:
                self.add_error(None, _("启动会尚未召开,会后才能发出会议纪要"))
            elif kickoff and kickoff.minutes_issued_at is not None:
                self.add_error(None, _("纪要发出时间已记录"))
        return data
