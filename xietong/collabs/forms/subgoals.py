"""Step 5 forms: a department sub-goal and the recurrence picker it shares with step 6.

The picker asks what people know ("每周", "周五", "10:00 前") and writes the
RRULE; the raw RRULE is asked for only in an "advanced" field, which is
filled when a stored rule is beyond what the picker can show.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.actions.subgoals import SubGoalFields
from xietong.collabs.models import DeadlineKind, SubGoal
from xietong.lib.limits import LimitedForm
from xietong.lib.recurrence import (
    FREQ_NAMES,
    FREQS,
    NEVER_OCCURS,
    WEEKDAY_NAMES,
    Freq,
    Recurrence,
    from_rrule,
    occurs_within,
)
from xietong.orgs.models import Department
from xietong.rules.subgoals import is_valid_rrule


def plain(value: Decimal | None) -> Decimal | None:
    """Return ``value`` without the stored trailing zeros (24, not 24.0000) for a form's input."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


class RecurrencePicker(LimitedForm):
    """Fields and cleaning of the recurrence picker; subclasses say when it is used.

    ``recurrence_used()`` tells whether the picker applies to the submitted
    form (a sub-goal whose kind is recurring, a rule whose frequency is
    regular); ``clean()`` then puts the RRULE in ``cleaned_data["rrule"]``.
    """

    time_label: str | Promise = _("时间(可选)")
    time_help: str | Promise = ""

    freq = forms.ChoiceField(
        label=_("重复"), required=False, choices=[("", "—"), *((f, FREQ_NAMES[f]) for f in FREQS)]
    )
    weekday = forms.TypedChoiceField(
        label=_("星期几"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *((str(i), name) for i, name in enumerate(WEEKDAY_NAMES))],
    )
    monthday = forms.IntegerField(label=_("每月几日"), required=False, min_value=1, max_value=31)
    at = forms.TimeField(
        label=_("时间(可选)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    rrule_advanced = forms.CharField(
        label=_("高级:RRULE 规则"),
        required=False,
        max_length=500,
        help_text=_("仅在选择器无法表达时填写,如 FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;填写后优先于上面的选择"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels stand above their inputs, in bold
        super().__init__(*args, **kwargs)
        self.fields["at"].label = str(self.time_label)
        self.fields["at"].help_text = str(self.time_help)

    @staticmethod
    def picker_initial(rrule: str) -> dict[str, Any]:
        """Return the picker's initial values for a stored RRULE.

        A rule the picker can show fills the picker; any other goes to the
        advanced field as written, so editing never changes its meaning.
        """
        if not rrule:
            return {}
        rec = from_rrule(rrule)
        if rec is None:
            return {"rrule_advanced": rrule}
        at = time(rec.hour, rec.minute) if rec.hour is not None and rec.minute is not None else None
        return {"freq": rec.freq, "weekday": rec.weekday, "monthday": rec.monthday, "at": at}

    @property
    def advanced_open(self) -> bool:
        """Whether the advanced field should be shown unfolded (it holds a value or an error)."""
        value = self["rrule_advanced"].value()
        return bool(value) or "rrule_advanced" in self.errors

    def recurrence_used(self, data: dict[str, Any]) -> bool:
        raise NotImplementedError

    PICKER_FIELDS = ("freq", "weekday", "monthday", "at", "rrule_advanced")

    def picker_hidden(self, data: dict[str, Any]) -> set[str]:
        """Return the fields the page hides for ``data`` (the picker's, unless it is used)."""
        return set() if self.recurrence_used(data) else set(self.PICKER_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        # What the page hides is not asked for: a leftover value there (an SLA of 0 hours
        # behind "固定日期", say) must not block the save, and it is not kept.
        for name in self.picker_hidden(data):
            self.errors.pop(name, None)
            data.pop(name, None)
        data["rrule"] = ""
        if not self.recurrence_used(data):
            return data
        advanced = (data.get("rrule_advanced") or "").strip()
        if advanced:
            if is_valid_rrule(advanced) and not occurs_within(advanced, timezone.localtime()):
                self.add_error("rrule_advanced", NEVER_OCCURS % {"rrule": advanced})
            elif is_valid_rrule(advanced):
                data["rrule"] = advanced
            else:
                self.add_error(
                    "rrule_advanced",
                    _("无法识别该 RRULE,请检查写法,如 FREQ=WEEKLY;BYDAY=FR,或清空后使用上面的选择"),
                )
            return data
        freq, weekday, monthday, at = (
            data.get("freq"),
            data.get("weekday"),
            data.get("monthday"),
            data.get("at"),
        )
        if not freq:
            self.add_error("freq", _("请选择重复频率(每日、每周或每月)"))
            return data
        if freq == "weekly" and weekday is None:
            self.add_error("weekday", _("按周重复时请选择星期几"))
            return data
        if freq == "monthly" and monthday is None:
            self.add_error("monthday", _("按月重复时请填写每月几日(1-31)"))
            return data
        data["rrule"] = Recurrence(
            cast(Freq, freq),
            weekday=weekday if freq == "weekly" else None,
            monthday=monthday if freq == "monthly" else None,
            hour=at.hour if at else None,
            minute=at.minute if at else None,
        ).to_rrule()
        return data


class SubGoalForm(RecurrencePicker):
    """Add or edit one sub-goal of a collaboration.

    What is merely missing (a target, a time limit) may be saved as a draft
    that the rules report (S01-S03); what is wrong is refused here: an SLA of
    0 hours, a weekly rule without its day, an unreadable RRULE.
    """

    time_label = _("截止时间(可选)")
    time_help = _("如 10:00,表示在该时间前完成")

    description = forms.CharField(
        label=_("子目标分解"),
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("如:售后部每日10点前完成投诉分类")}),
    )
    department = forms.TypedChoiceField(label=_("责任部门"), required=False, coerce=int, empty_value=None)
    metric = forms.TypedChoiceField(label=_("支撑指标"), required=False, coerce=int, empty_value=None)
    target = forms.DecimalField(label=_("目标值"), required=False, max_digits=20, decimal_places=4)
    unit = forms.CharField(label=_("单位"), required=False, max_length=40)
    deadline_kind = forms.ChoiceField(
        label=_("完成时限"),
        required=False,
        widget=forms.RadioSelect,
        choices=[("", _("未设定")), *DeadlineKind.choices],
    )
    deadline_date = forms.DateField(
        label=_("完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sla_hours = forms.DecimalField(label=_("响应时限(小时)"), required=False, max_digits=20, decimal_places=4)
    sla_trigger = forms.CharField(
        label=_("触发条件"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:接到售后需求")}),
    )

    def __init__(
        self,
        *args: Any,
        departments: list[Department],
        editable: set[int] | None,
        metrics: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        """``departments`` are the ones a sub-goal may name; ``editable`` the ids
        this person may choose (None: any, and none at all).
        """
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        self.editable = editable
        choices = [(d.pk, d.name) for d in departments]
        department = self.fields["department"]
        assert isinstance(department, forms.TypedChoiceField)
        department.choices = [("", _("—(未指定)")), *choices]
        if editable is not None:
            # Only departments this person answers for; one is required.
            department.required = True
            department.widget.choices = [(pk, name) for pk, name in choices if pk in editable]
        metric = self.fields["metric"]
        assert isinstance(metric, forms.TypedChoiceField)
        metric.choices = [("", _("—(未指定)")), *metrics]

    @classmethod
    def initial_for(cls, subgoal: SubGoal) -> dict[str, Any]:
        """Return the form's initial values for a stored sub-goal."""
        return {
            "description": subgoal.description,
            "department": subgoal.department_id,
            "metric": subgoal.metric_id,
            "target": plain(subgoal.target),
            "unit": subgoal.unit,
            "deadline_kind": subgoal.deadline_kind,
            "deadline_date": subgoal.deadline_date,
            "sla_hours": plain(subgoal.sla_hours),
            "sla_trigger": subgoal.sla_trigger,
            **cls.picker_initial(subgoal.rrule if subgoal.deadline_kind == DeadlineKind.RECURRING else ""),
        }

    def recurrence_used(self, data: dict[str, Any]) -> bool:
        return data.get("deadline_kind") == DeadlineKind.RECURRING

    # The time-limit picker shows only the chosen kind's fields.
    KIND_FIELDS = {DeadlineKind.FIXED: ("deadline_date",), DeadlineKind.SLA: ("sla_hours", "sla_trigger")}

    def picker_hidden(self, data: dict[str, Any]) -> set[str]:
        kind = data.get("deadline_kind")
        others = {name for k, names in self.KIND_FIELDS.items() if k != kind for name in names}
        return super().picker_hidden(data) | others

    def clean_sla_hours(self) -> Decimal | None:
        hours: Decimal | None = self.cleaned_data.get("sla_hours")
        if hours is not None and hours <= 0:
            raise forms.ValidationError(_("响应时限须大于 0 小时"))
        return hours

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("deadline_kind")
        if (
            kind == DeadlineKind.FIXED
            and data.get("deadline_date") is None
            and "deadline_date" not in self.errors
        ):
            self.add_error("deadline_date", _("选择固定日期时请填写完成日期"))
        if kind == DeadlineKind.SLA and data.get("sla_hours") is None and "sla_hours" not in self.errors:
            self.add_error("sla_hours", _("选择响应时限时请填写小时数,如 24"))
        return data

    def fields_to_save(self) -> SubGoalFields:
        """Return the cleaned values; only the chosen kind's time limit is kept."""
        data = self.cleaned_data
        kind = data["deadline_kind"] or ""
        department_id = data.get("department")
        return SubGoalFields(
            description=data["description"].strip(),
            department=self.departments.get(department_id) if department_id is not None else None,
            metric_id=data.get("metric"),
            target=data.get("target"),
            unit=data.get("unit", "").strip(),
            deadline_kind=kind,
            deadline_date=data.get("deadline_date") if kind == DeadlineKind.FIXED else None,
            rrule=data["rrule"] if kind == DeadlineKind.RECURRING else "",
            sla_hours=data.get("sla_hours") if kind == DeadlineKind.SLA else None,
            sla_trigger=data.get("sla_trigger", "").strip() if kind == DeadlineKind.SLA else "",
        )
