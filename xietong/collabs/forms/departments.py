"""Step 2: participating departments and their liaisons."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.forms.people import PeopleFields
from xietong.collabs.models import ParticipantRole
from xietong.lib.limits import LimitedForm


class ParticipantForm(PeopleFields, LimitedForm):
    # Both are picked from the directory (or invited): a typed name never creates an account.
    people_fields = ("liaison", "head")

    liaison = forms.CharField(
        label=_("对接负责人"),
        max_length=100,
        required=False,
        help_text=_("每个部门只指定 1 名,建议为部门主管或核心骨干"),
    )
    duties = forms.CharField(label=_("职责概要"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    role = forms.ChoiceField(
        label=_("角色"), choices=ParticipantRole.choices, initial=ParticipantRole.SUPPORT
    )
    # Organisation data: a name given here is only proposed, for staff who manage people to confirm.
    head = forms.CharField(
        label=_("部门负责人"), max_length=100, required=False, help_text=_("提议的人选需组织管理员确认")
    )


class NewParticipantForm(ParticipantForm):
    department = forms.CharField(label=_("部门"), max_length=100)

    field_order = ["department", "liaison", "duties", "role", "head"]
