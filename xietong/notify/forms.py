"""The forms of the notification pages: preferences, adding a group robot, changing one.

A robot's webhook address and signing secret are write-only: the fields are
never filled from what is stored (``render_value=False``), and left empty
they keep the stored value.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.notify.actions import PreferenceInput, RobotChange, RobotInput, webhook_problem
from xietong.notify.models import ROBOT_TRANSPORTS, Kind, Preference, Robot

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _kinds_field(label: Any, help_text: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("同时发送邮件"), required=False)
    kinds = _kinds_field(_("接收的提醒"), _("不勾选的提醒不会发给你(站内和邮件都不发)。"))
    quiet_from = forms.TimeField(label=_("免打扰开始"), required=False, widget=_TIME)
    quiet_until = forms.TimeField(label=_("免打扰结束"), required=False, widget=_TIME)

    @staticmethod
    def initial_for(preference: Preference | None) -> dict[str, Any]:
        if preference is None:
            return {"email": True, "kinds": list(Kind.values)}
        return {
            "email": preference.email,
            "kinds": [k for k in Kind.values if k not in preference.muted_kinds],
            "quiet_from": preference.quiet_from,
            "quiet_until": preference.quiet_until,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("quiet_from") is None) != (data.get("quiet_until") is None) and not self.errors:
            raise forms.ValidationError(_("免打扰时段请同时填写开始和结束时间,或都不填。"))
        if data.get("quiet_from") is not None and data.get("quiet_from") == data.get("quiet_until"):
            raise forms.ValidationError(_("免打扰的开始和结束时间不能相同。"))
        return data

    def to_input(self) -> PreferenceInput:
        data = self.cleaned_data
        return PreferenceInput(
            email=bool(data["email"]),
            muted_kinds=tuple(k for k in Kind.values if k not in data["kinds"]),
            quiet_from=data["quiet_from"],
            quiet_until=data["quiet_until"],
        )


class WebhookField(forms.CharField):
    """A robot's webhook address: http(s) with a host; never shown back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=500,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            **kwargs,
        )

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            problem = webhook_problem(value)
            if problem is not None:
                raise forms.ValidationError(problem)


def _secret_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("加签密钥"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


ROBOT_KINDS_HELP = _("都不勾选即推送全部提醒。")
SECRET_HELP = _(
    "可选。钉钉和飞书机器人建议开启“加签”并在此填写密钥;企业微信群机器人无需密钥。保存后不再显示。"
)


class RobotForm(forms.Form):
    kind = forms.ChoiceField(label=_("机器人类型"), choices=[(t.value, t.label) for t in ROBOT_TRANSPORTS])
    name = forms.CharField(label=_("群名称"), max_length=200)
    webhook_url = WebhookField(
        label=_("Webhook 地址"), help_text=_("以 https:// 开头的机器人地址;保存后只显示主机名。")
    )
    secret = _secret_field(SECRET_HELP)
    kinds = _kinds_field(_("推送的提醒"), ROBOT_KINDS_HELP)

    def to_input(self) -> RobotInput:
        data = self.cleaned_data
        return RobotInput(
            kind=data["kind"],
            name=data["name"],
            webhook_url=data["webhook_url"],
            secret=data["secret"],
            kinds=tuple(data["kinds"]),
        )


class RobotEditForm(forms.Form):
    name = forms.CharField(label=_("群名称"), max_length=200)
    webhook_url = WebhookField(
        label=_("新的 Webhook 地址"), required=False, help_text=_("留空则保留原地址。")
    )
    secret = _secret_field(_("留空则保留原密钥。"))
    clear_secret = forms.BooleanField(label=_("清除加签密钥"), required=False)
    kinds = _kinds_field(_("推送的提醒"), ROBOT_KINDS_HELP)
    active = forms.BooleanField(label=_("启用"), required=False)

    @staticmethod
    def initial_for(robot: Robot) -> dict[str, Any]:
        return {
            "name": robot.name,
            "kinds": list(robot.kinds) or list(Kind.values),
            "active": robot.active,
        }

    def to_change(self) -> RobotChange:
        data = self.cleaned_data
        return RobotChange(
            name=data["name"],
            webhook_url=data["webhook_url"] or None,
            secret=data["secret"] or None,
            kinds=tuple(data["kinds"]),
            active=bool(data["active"]),
            clear_secret=bool(data["clear_secret"]),
        )
