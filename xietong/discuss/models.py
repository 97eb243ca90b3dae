"""Comments on the rows of a collaboration, their @mentions and attachments.

A comment belongs to exactly one row (a task, a sub-goal, an issue, a risk
or a minutes item): one nullable foreign key per kind of row, exactly one
set (a check constraint), so deleting the row deletes its thread and the
database keeps every comment attached to something real.
"""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The kinds of row a comment can be on: the name used in URLs and the API, and the field.
TARGETS = ("task", "subgoal", "issue", "risk", "minutes_item")


class Comment(models.Model):
    collaboration = models.ForeignKey(
        "collabs.Collaboration", verbose_name=_("协作"), on_delete=models.CASCADE, related_name="comments"
    )
    task = models.ForeignKey(
        "collabs.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    subgoal = models.ForeignKey(
        "collabs.SubGoal",
        verbose_name=_("部门子目标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    issue = models.ForeignKey(
        "tracking.IssueEntry",
        verbose_name=_("问题"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    risk = models.ForeignKey(
        "tracking.Risk",
        verbose_name=_("风险"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    minutes_item = models.ForeignKey(
        "meetings.MinutesItem",
        verbose_name=_("纪要条目"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    edited_at = models.DateTimeField(_("编辑时间"), null=True, blank=True)
    # Deleted comments keep their place in the thread ("评论已删除"); the text is in the audit trail.
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The @mentions nobody could be told of, said in the thread: [{"name": "张伟", "why": "outsider"}]
    # (why: outsider, ambiguous, nobody: see xietong.discuss.mentions.Unreached).
    unreached = models.JSONField(_("未能通知的提及"), default=list, blank=True)

    class Meta:
        verbose_name = _("评论")
        verbose_name_plural = _("评论")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(task__isnull=False, subgoal=None, issue=None, risk=None, minutes_item=None)
                    | models.Q(task=None, subgoal__isnull=False, issue=None, risk=None, minutes_item=None)
                    | models.Q(task=None, subgoal=None, issue__isnull=False, risk=None, minutes_item=None)
                    | models.Q(task=None, subgoal=None, issue=None, risk__isnull=False, minutes_item=None)
                    | models.Q(task=None, subgoal=None, issue=None, risk=None, minutes_item__isnull=False)
                ),
                name="comment_on_exactly_one_row",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def target(self) -> str:
        """The kind of row the comment is on: one of ``TARGETS``."""
        return next(t for t in TARGETS if getattr(self, f"{t}_id") is not None)

    @property
    def row_id(self) -> int:
        return int(getattr(self, f"{self.target}_id"))


class Mention(models.Model):
    """Someone a comment @mentioned: a person, or the liaison of a mentioned department (at that time)."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("评论"), on_delete=models.CASCADE, related_name="mentions"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="mentions"
    )
    # Set when the person was reached through a department mention (@部门 → its liaison).
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("提及")
        verbose_name_plural = _("提及")
        constraints = [models.UniqueConstraint(fields=["comment", "person"], name="mention_once_per_comment")]

    def __str__(self) -> str:
        return f"@{self.person_id} in {self.comment_id}"


def attachment_path(attachment: Attachment, filename: str) -> str:
    """Stored like meeting materials: under a random name; the original name is a column."""
    return f"comments/{attachment.comment.collaboration_id}/{uuid4().hex}{Path(filename).suffix.lower()}"


class Attachment(models.Model):
    comment = models.ForeignKey(
        Comment, verbose_name=_("评论"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    content_type = models.CharField(_("类型"), max_length=120)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评论附件")
        verbose_name_plural = _("评论附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
