"""The forms of the organisation pages: a person's details, deactivating someone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.orgs.actions import PersonChanges
from xietong.orgs.models import Department, Person


class PersonForm(forms.ModelForm[Person]):
    """Name, e-mail, mobile, department and employee number: what staff may change."""

    department = forms.ModelChoiceField(
        Department.objects.order_by("name"), label=_("所属部门"), required=False, empty_label="—"
    )

    class Meta:
        model = Person
        fields = ["display_name", "email", "phone", "department", "employee_number"]
        labels = {"email": _("电子邮箱"), "phone": _("手机")}

    def clean_employee_number(self) -> str:
        """Return the number, refused when another person has it (said at the field)."""
        number: str = self.cleaned_data["employee_number"].strip()
        taken = Person.objects.filter(employee_number=number).exclude(pk=self.instance.pk)
        if number and taken.exists():
            raise forms.ValidationError(_("工号已被他人使用"))
        return number

    def changes(self) -> PersonChanges:
        """Return the valid form's values for ``do_update_person``."""
        data = self.cleaned_data
        return PersonChanges(
            display_name=data["display_name"],
            email=data["email"],
            phone=data["phone"],
            department=data["department"],
            employee_number=data["employee_number"],
        )


class DeactivateForm(forms.Form):
    """Deactivating asks why, and a tick that the person will no longer sign in."""

    reason = forms.CharField(label=_("停用原因"), max_length=500)
    confirm = forms.BooleanField(label=_("我确认停用:此人将无法登录,其会话和接口令牌立即失效"))


class ReactivateForm(forms.Form):
    reason = forms.CharField(label=_("启用原因"), max_length=500, required=False)
