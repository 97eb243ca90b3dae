"""What the operations app stores: one row per scheduled backup (xietong/ops/schedule.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupState(models.TextChoices):
    RUNNING = "running", _("进行中")
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")


class BackupRun(models.Model):
    """One scheduled backup by the worker: when, which file, how big, or why it failed.

    At most one row is running at a time (a partial unique constraint): that
    row is the guard that keeps two workers, on any machines, from writing
    a scheduled backup at once. A running row whose ``alive_at`` stopped
    moving belongs to a worker that died; the next attempt marks it failed.
    "Due" is computed from the last successful row (``schedule.is_due``).
    """

    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    alive_at = models.DateTimeField(_("最近存活"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=BackupState.choices, default=BackupState.RUNNING
    )
    path = models.CharField(_("文件"), max_length=1000, blank=True)
    size = models.BigIntegerField(_("大小(字节)"), null=True, blank=True)
    # The exception's class and message, secrets masked (schedule.error_text).
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("定时备份")
        verbose_name_plural = _("定时备份")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="running"), name="one_backup_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return self.state == BackupState.OK
