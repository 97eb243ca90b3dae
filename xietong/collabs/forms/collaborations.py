"""Starting a collaboration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import CollabType
from xietong.collabs.presets import PRESETS
from xietong.lib.limits import LimitedForm


class NewCollaborationForm(LimitedForm):
    title = forms.CharField(label=_("协作名称"), max_length=200)
    type = forms.ChoiceField(
        label=_("协作类型"), choices=CollabType.choices, widget=forms.RadioSelect, initial=CollabType.PROJECT
    )
    initiator_department = forms.CharField(label=_("发起部门"), max_length=100)
    departments = forms.CharField(
        label=_("参与部门"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个部门;已按协作类型预填,可增删改"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["departments"].initial = departments_text(str(self.fields["type"].initial))

    def clean_departments(self) -> list[str]:
        text = self.cleaned_data["departments"]
        names = [line.strip() for line in text.replace("、", "\n").replace(",", "\n").splitlines()]
        return list(dict.fromkeys(n for n in names if n))


def departments_text(collab_type: str) -> str:
    """Return the template's departments, one per line, for the form."""
    preset = PRESETS.get(collab_type)
    return "\n".join(str(name) for name, _duties in preset.departments) if preset else ""
