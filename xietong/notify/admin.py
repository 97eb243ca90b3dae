"""The notify models in the admin: read-mostly; a robot's webhook address and secret never shown.

A robot's address and secret are write-only here too: the change form has
empty password fields that replace them when filled and keep them when
left empty; lists show the address's host only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xietong.notify.actions import audit_robot_saved, do_delete_robot, webhook_problem
from xietong.notify.models import Delivery, Notification, Preference, Robot


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["key", "kind", "collaboration", "recipient", "created_at", "read_at", "planned"]
    list_filter = ["kind", "planned"]
    list_select_related = ["collaboration", "recipient"]
    search_fields = ["key"]
    raw_id_fields = ["collaboration", "recipient"]
    readonly_fields = [
        "key",
        "kind",
        "collaboration",
        "recipient",
        "params",
        "link",
        "binding",
        "created_at",
        "planned",
    ]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = [
        "notification",
        "transport",
        "target",
        "state",
        "attempts",
        "rearmed",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "transport"]
    list_select_related = ["notification", "robot"]
    raw_id_fields = ["notification", "robot"]
    readonly_fields = [
        "notification",
        "transport",
        "target",
        "robot",
        "attempts",
        "rearmed",
        "last_error",
        "answer",
        "sent_at",
        "created_at",
    ]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin[Preference]):
    list_display = ["person", "email", "quiet_from", "quiet_until"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]


class RobotAdminForm(forms.ModelForm[Robot]):
    new_webhook_url = forms.CharField(
        label=_("新的 Webhook 地址"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("留空则保留原地址。"),
    )
    new_secret = forms.CharField(
        label=_("新的加签密钥"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("留空则保留原密钥。"),
    )

    class Meta:
        model = Robot
        fields = ["collaboration", "kind", "name", "kinds", "active"]

    def clean_new_webhook_url(self) -> str:
        value: str = self.cleaned_data.get("new_webhook_url", "").strip()
        if not value and not (self.instance and self.instance.webhook_url):
            raise forms.ValidationError(_("请填写 Webhook 地址。"))
        if value and (problem := webhook_problem(value)):
            raise forms.ValidationError(problem)
        return value

    def save(self, commit: bool = True) -> Robot:
        robot = super().save(commit=False)
        if self.cleaned_data.get("new_webhook_url"):
            robot.webhook_url = self.cleaned_data["new_webhook_url"]
        if self.cleaned_data.get("new_secret"):
            robot.secret = self.cleaned_data["new_secret"].strip()
        if commit:
            robot.save()
        return robot


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin[Robot]):
    form = RobotAdminForm
    list_display = ["name", "collaboration", "kind", "host", "signed", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["collaboration"]
    raw_id_fields = ["collaboration"]
    fields = ["collaboration", "kind", "name", "new_webhook_url", "new_secret", "kinds", "active"]

    def save_model(self, request: HttpRequest, obj: Robot, form: Any, change: bool) -> None:
        # Audited like the pages' writes: a webhook changed here is in the collaboration's history.
        before = Robot.objects.filter(pk=obj.pk).first() if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_robot_saved(obj, before, actor=request.user if request.user.is_authenticated else None)

    def delete_model(self, request: HttpRequest, obj: Robot) -> None:
        do_delete_robot(obj, actor=request.user if request.user.is_authenticated else None, check=False)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Robot]) -> None:
        for robot in queryset.select_related("collaboration"):
            self.delete_model(request, robot)

    @admin.display(description=_("Webhook 地址"))
    def host(self, robot: Robot) -> str:
        return robot.masked_url

    @admin.display(description=_("已设置加签密钥"), boolean=True)
    def signed(self, robot: Robot) -> bool:
        return bool(robot.secret)
