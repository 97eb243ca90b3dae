"""Recording a goal metric's value (step 7: 指标读数) from the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.rules import snapshot as s


class ReadingForm(LimitedForm):
    """One reading of one goal metric; a second reading of the same day corrects the first."""

    metric = forms.TypedChoiceField(label=_("指标"), coerce=int)
    measured_on = forms.DateField(label=_("测量日期"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("读数"), max_digits=20, decimal_places=4)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def __init__(self, *args: Any, goal: s.Goal | None, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today
        metrics = goal.metrics if goal else ()
        self.fields["metric"].choices = [  # type: ignore[attr-defined]
            (m.key, f"{m.name} ({m.unit})" if m.unit else m.name) for m in metrics if m.key is not None
        ]
        self.fields["measured_on"].initial = today

    def clean_measured_on(self) -> date:
        day: date = self.cleaned_data["measured_on"]
        if day > self.today:
            raise forms.ValidationError(_("测量日期不能晚于今天"))
        return day
