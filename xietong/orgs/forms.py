"""The forms of the organisation pages: a person's details, deactivating someone, inviting someone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.orgs.actions import PersonChanges
from xietong.orgs.invitations import NewPerson
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


class InviteForm(forms.Form):
    """Who to invite: a name, and an e-mail or a mobile (at least one); a department if known."""

    display_name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"), max_length=254, required=False)
    phone = forms.CharField(label=_("手机"), max_length=40, required=False)
    department = forms.ModelChoiceField(
        Department.objects.order_by("name"), label=_("部门"), required=False, empty_label="—"
    )

    def clean(self) -> dict[str, object] | None:
        """Return the data, refused at the e-mail when neither an e-mail nor a mobile was given."""
        data = super().clean()
        if (
            data is not None
            and not data.get("email")
            and not data.get("phone")
            and "email" not in self.errors
        ):
            self.add_error("email", _("请填写电子邮箱或手机(至少一项)"))
        return data

    def new_person(self) -> NewPerson:
        """Return the valid form's values for ``do_invite_person``."""
        data = self.cleaned_data
        return NewPerson(
            display_name=data["display_name"],
            email=data["email"],
            phone=data["phone"],
            department=data["department"],
        )
