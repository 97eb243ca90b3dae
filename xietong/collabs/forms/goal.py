"""Step 1: background, goal and metrics."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.actions.goal import GoalInput, MetricInput
from xietong.collabs.models import Direction
from xietong.lib.limits import LimitedForm

DECIMAL = {"max_digits": 20, "decimal_places": 4, "required": False}


class GoalForm(LimitedForm):
    # The collaboration's version when the form was loaded: a save against an
    # older one is refused instead of overwriting someone else's change.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("协作名称"), max_length=200)
    background = forms.CharField(
        label=_("协作背景"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_outcome = forms.CharField(
        label=_("预期成果"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    statement = forms.CharField(
        label=_("核心目标"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("具体、可衡量、有时限,如“2024年Q3末,实现80%的投诉在24小时内闭环”"),
    )
    deadline = forms.DateField(
        label=_("目标截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    achievable_reason = forms.CharField(
        label=_("可实现性说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("为什么这个目标可以实现(资源、能力、先例)"),
    )
    relevant_reason = forms.CharField(
        label=_("相关性说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("这个目标如何支撑公司或部门的目标"),
    )

    def to_input(self) -> GoalInput:
        d = self.cleaned_data
        return GoalInput(
            title=d["title"],
            background=d["background"],
            expected_outcome=d["expected_outcome"],
            statement=d["statement"],
            deadline=d["deadline"],
            achievable_reason=d["achievable_reason"],
            relevant_reason=d["relevant_reason"],
        )


class MetricForm(LimitedForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("指标名称"), max_length=200, required=False)
    unit = forms.CharField(label=_("单位"), max_length=40, required=False)
    baseline = forms.DecimalField(label=_("基线值"), **DECIMAL)  # type: ignore[arg-type]
    target = forms.DecimalField(label=_("目标值"), **DECIMAL)  # type: ignore[arg-type]
    direction = forms.ChoiceField(label=_("方向"), choices=[("", "—"), *Direction.choices], required=False)
    scale_max = forms.DecimalField(label=_("满分"), **DECIMAL)  # type: ignore[arg-type]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        filled = any(data.get(k) not in (None, "") for k in ("unit", "baseline", "target", "scale_max"))
        if filled and not data.get("name") and not data.get("DELETE"):
            self.add_error("name", _("请填写指标名称"))
        return data


class BaseMetricFormSet(forms.BaseFormSet[MetricForm]):
    def clean(self) -> None:
        names: list[str] = [
            f.cleaned_data["name"]
            for f in self.forms
            if f.cleaned_data.get("name") and not f.cleaned_data.get("DELETE")
        ]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise forms.ValidationError(
                _("指标名称重复:%(names)s") % {"names": str(_("、")).join(sorted(duplicates))}
            )

    def to_inputs(self) -> list[MetricInput]:
        rows = []
        for form in self.forms:
            d = form.cleaned_data
            if not d.get("name") and not d.get("id"):
                continue  # an untouched empty row
            rows.append(
                MetricInput(
                    id=d.get("id"),
                    name=d.get("name", ""),
                    unit=d.get("unit", ""),
                    baseline=d.get("baseline"),
                    target=d.get("target"),
                    direction=d.get("direction", ""),
                    scale_max=d.get("scale_max"),
                    delete=bool(d.get("DELETE")) or not d.get("name"),
                )
            )
        return rows


MetricFormSet = forms.formset_factory(MetricForm, formset=BaseMetricFormSet, extra=1, can_delete=True)


def metric_formset(data: Any = None, initial: list[dict[str, Any]] | None = None) -> BaseMetricFormSet:
    """Return the metrics formset (one empty row for a new metric)."""
    return cast(BaseMetricFormSet, MetricFormSet(data, initial=initial, prefix="metrics"))
