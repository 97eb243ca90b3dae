"""The forms of step 7's time limits: SLA requests between departments and occurrences of recurring sub-goals."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.tracking.forms.registers import DepartmentsForm, area


class SlaOpenForm(DepartmentsForm):
    """A new request under an SLA sub-goal: who asks, and what."""

    department_fields = ("requester",)

    requester = forms.TypedChoiceField(label=_("提出部门"), coerce=int)
    subject = forms.CharField(label=_("请求内容"), max_length=1000, widget=area())


class SlaPauseForm(LimitedForm):
    reason = forms.CharField(label=_("暂停原因"), max_length=200, help_text=_("例如:等待提出部门补充信息"))


class SlaAnswerForm(LimitedForm):
    answer = forms.CharField(label=_("答复"), max_length=2000, widget=area())


class CheckForm(LimitedForm):
    """The occurrence of a recurring sub-goal being recorded as done (or undone)."""

    due_at = forms.DateTimeField(widget=forms.HiddenInput)
    undo = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
