"""The upload and confirm forms of the workbook and organisation imports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import LimitedForm
from xietong.lib.security import validate_upload


class UploadForm(LimitedForm):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        validate_upload(upload, ["xlsx"])  # size and real type; raises ValidationError for people
        return upload


class ConfirmForm(LimitedForm):
    ALL = "all"
    VALID = "valid"
    CANCEL = "cancel"

    token = forms.CharField(max_length=64)
    choice = forms.ChoiceField(choices=[(ALL, ALL), (VALID, VALID), (CANCEL, CANCEL)])
