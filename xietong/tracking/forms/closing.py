"""Step 8's forms: the verdicts on deliverables, the retrospective, reopening, the resolution deadline."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.tracking.models import Verdict

# The page posts these names for the verdicts (``accept`` / ``reject`` kept from before).
VERDICT_OF = {
    "accept": Verdict.PASSED,
    "conditional": Verdict.CONDITIONAL,
    "exception": Verdict.EXCEPTION,
    "reject": Verdict.REJECTED,
}


class AcceptanceForm(LimitedForm):
    """The verdict on one deliverable: pass a done row, accept on a condition or as an exception, or reject.

    What is allowed is the action's question (``acceptance_problem``): the
    view puts its answer on the field at fault.
    """

    verdict = forms.ChoiceField(
        label=_("验收结论"),
        choices=[
            ("accept", _("通过验收")),
            ("conditional", _("有条件验收")),
            ("exception", _("例外")),
            ("reject", _("不通过")),
        ],
    )
    reason = forms.CharField(
        label=_("有条件验收或例外的原因"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("有条件验收或例外时必填:会写入收尾报告和部门评分卡"),
    )
    comment = forms.CharField(
        label=_("验收意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不通过时必填:哪一项未达到交付标准"),
    )

    @property
    def chosen(self) -> Verdict:
        return VERDICT_OF[self.cleaned_data["verdict"]]


class RetrospectiveForm(LimitedForm):
    went_well = forms.CharField(
        label=_("做得好的"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(
        label=_("存在的问题"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    improvements = forms.CharField(
        label=_("改进措施"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lessons = forms.CharField(
        label=_("可复用的经验"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("留给下一个同类型协作参考"),
    )


class ReopenForm(LimitedForm):
    reason = forms.CharField(
        label=_("重新打开的原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolutionDeadlineForm(LimitedForm):
    resolution_deadline = forms.DateField(
        label=_("解决时限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
