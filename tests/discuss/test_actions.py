"""Comments: who may write them, their audit, and exactly-once notices to the people they concern."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.helpers import TZ, Cast, person, row_counts
from tests.notify.conftest import make_robot
from tests.notify.servers import RobotServer, SmtpServer
from xietong.audit.models import AuditEntry, Change
from xietong.collabs.models import Participant, Task
from xietong.discuss.actions import (
    CommentInput,
    EmptyComment,
    StaleComment,
    do_delete_comment,
    do_edit_comment,
    do_post_comment,
)
from xietong.discuss.models import Attachment, Comment
from xietong.lib.limits import TEXT_LIMIT, LimitError
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.messages import render
from xietong.notify.models import Kind, Notification, Transport
from xietong.notify.outbox import sweep
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 8, 12, 10, 0, tzinfo=TZ)


def told(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind, recipient__isnull=False).values_list(
            "recipient__username", flat=True
        )
    )


def post(cast: Cast, text: str, *, by: Person | None = None, task: Task | None = None) -> Comment:
    return do_post_comment(
        cast.collab, task or cast.task_of("技术部"), CommentInput(text), actor=by or cast.liaison
    )


def test_it_tells_each_mentioned_person_once_and_never_the_author(cast: Cast) -> None:
    comment = post(cast, "@刘主管 请确认接口,@李工 自己也看看,@刘主管 再说一次")
    assert told(Kind.MENTIONED) == ["刘主管"]
    assert [m.person.username for m in comment.mentions.order_by("pk")] == ["刘主管", "李工"]
    notice = Notification.objects.get(kind=Kind.MENTIONED)
    assert notice.params["target"] == "task" and notice.link.endswith(f"#comment-{comment.pk}")
    assert render(notice).subject == f"【{cast.collab.title}】李工 在评论中提到了您"
    assert render(notice, "en").body.startswith("李工 mentioned you in a comment on Task “")


def test_a_department_mention_reaches_its_liaison_at_that_time_or_its_head(cast: Cast) -> None:
    comment = post(cast, "@法务部 请审核")
    (mention,) = comment.mentions.all()
    assert (mention.person.username, mention.department.name) == ("陈专员", "法务部")
    legal = Participant.objects.get(collaboration=cast.collab, department__name="法务部")
    legal.liaison = None
    legal.save()
    head = person("法务负责人")
    Department.objects.filter(name="法务部").update(head=head)
    post(cast, "@法务部 再请审核")
    assert told(Kind.MENTIONED) == ["法务负责人", "陈专员"]


def test_a_department_without_liaison_or_head_is_said_in_the_thread(cast: Cast) -> None:
    finance = Department.objects.create(name="财务部")
    Participant.objects.create(collaboration=cast.collab, department=finance)
    comment = post(cast, "@财务部 预算?")
    assert comment.unreached == [{"name": "财务部", "why": "nobody"}]
    assert not Notification.objects.filter(kind=Kind.MENTIONED).exists()


def test_someone_who_cannot_see_the_collaboration_is_not_told(cast: Cast) -> None:
    comment = post(cast, "@outsider 你也看看")
    assert comment.unreached == [{"name": "outsider", "why": "outsider"}]
    assert not comment.mentions.exists() and not Notification.objects.exists()


def test_namesakes_are_told_apart_by_who_sees_the_collaboration_or_by_login(cast: Cast) -> None:
    person("zhang1", display_name="张三")
    person("zhang2", display_name="张三")
    comment = post(cast, "@张三 看一下")
    assert comment.unreached == [{"name": "张三", "why": "ambiguous"}]
    post(cast, "@zhang2 看一下")
    assert told(Kind.MENTIONED) == []  # zhang2 cannot see it either
    cast.collab.memberships.create(person=Person.objects.get(username="zhang1"), role="member")
    post(cast, "@张三 看一下")
    assert told(Kind.MENTIONED) == ["zhang1"]


def test_an_edit_tells_only_the_new_mentions(cast: Cast) -> None:
    comment = post(cast, "@刘主管 请看")
    edited = do_edit_comment(
        comment, CommentInput("@刘主管 @张经理 请看"), actor=cast.liaison, version=comment.version
    )
    assert edited.edited_at is not None and edited.version == 2
    assert told(Kind.MENTIONED) == ["刘主管", "张经理"]
    do_edit_comment(edited, CommentInput("@刘主管 @张经理 请看!"), actor=cast.liaison)
    assert told(Kind.MENTIONED) == ["刘主管", "张经理"]
    (update,) = AuditEntry.objects.filter(object_type="discuss.comment", change=Change.UPDATE)[:1]
    assert update.actor == cast.liaison and "body" in update.before


def test_only_the_author_edits_and_a_stale_version_is_refused(cast: Cast) -> None:
    comment = post(cast, "原文")
    with pytest.raises(PermissionDenied):
        do_edit_comment(comment, CommentInput("改"), actor=cast.initiator)
    do_edit_comment(comment, CommentInput("第一次修改"), actor=cast.liaison, version=1)
    with pytest.raises(StaleComment) as stale:
        do_edit_comment(comment, CommentInput("第二次修改"), actor=cast.liaison, version=1)
    assert stale.value.current.body == "第一次修改"


def test_the_assignee_and_watchers_of_a_task_are_told_of_a_comment_once(cast: Cast) -> None:
    task = cast.task_of("技术部")
    watcher, engineer = person("watcher"), person("engineer", department=cast.department("技术部"))
    task.assignee = engineer
    task.save(update_fields=["assignee"])
    task.watchers.add(watcher, cast.liaison, Person.objects.get(username="刘主管"))
    post(cast, "@刘主管 请看", task=task)
    # Not the author (a watcher), not the mentioned watcher (told as mentioned).
    assert told(Kind.COMMENTED) == ["engineer", "watcher"]
    assert told(Kind.MENTIONED) == ["刘主管"]
    sweep(NOW)
    sweep(NOW)
    assert Notification.objects.filter(kind=Kind.COMMENTED).count() == 2


def test_delete_keeps_the_place_and_the_text_only_in_the_audit(cast: Cast) -> None:
    comment = post(cast, "要删除的话")
    version = cast.collab.__class__.objects.get(pk=cast.collab.pk).version
    gone = do_delete_comment(comment, actor=cast.initiator)
    assert gone.deleted_at is not None and gone.body == ""
    entry = AuditEntry.objects.filter(object_type="discuss.comment").latest("id")
    assert entry.actor == cast.initiator and entry.before["body"] == "要删除的话"
    assert cast.collab.__class__.objects.get(pk=cast.collab.pk).version == version + 1


def test_empty_and_oversized_comments_write_nothing(cast: Cast) -> None:
    before = row_counts()
    with pytest.raises(EmptyComment):
        post(cast, "   ")
    with pytest.raises(LimitError):
        post(cast, "字" * (TEXT_LIMIT + 1))
    assert row_counts() == before


def test_a_refused_file_stores_nothing(cast: Cast, settings: SettingsWrapper, tmp_path: object) -> None:
    before = row_counts()
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(ValidationError):
        do_post_comment(
            cast.collab, cast.task_of("技术部"), CommentInput("附件"), actor=cast.liaison, uploads=[exe]
        )
    fake = SimpleUploadedFile("report.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        do_post_comment(
            cast.collab, cast.task_of("技术部"), CommentInput("附件"), actor=cast.liaison, uploads=[fake]
        )
    assert row_counts() == before
    ok = SimpleUploadedFile("note.txt", "纪要".encode(), content_type="text/plain")
    comment = do_post_comment(
        cast.collab, cast.task_of("技术部"), CommentInput(""), actor=cast.liaison, uploads=[ok]
    )
    (attachment,) = Attachment.objects.filter(comment=comment)
    assert attachment.name == "note.txt" and attachment.file.name.startswith(f"comments/{cast.collab.pk}/")


def test_a_closed_collaboration_takes_no_comment(cast: Cast) -> None:
    cast.collab.closed_at = NOW
    cast.collab.save(update_fields=["closed_at"])
    with pytest.raises(PermissionDenied):
        post(cast, "关闭后")


def test_mail_and_one_group_robot_post_per_comment_exactly_once(
    cast: Cast, smtp: SmtpServer, robot_server: RobotServer, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
    for login, address in (
        ("刘主管", "liu@example.com"),
        ("张经理", "zhang@example.com"),
        ("陈专员", "chen@example.com"),
    ):
        Person.objects.filter(username=login).update(email=address)
    make_robot(cast.collab, Transport.WECOM, robot_server.url())
    comment = post(cast, "@刘主管 @张经理 请看 http://evil.example.com")
    # The edit adds 陈专员: told once; the others are not told again, the group not twice.
    do_edit_comment(comment, CommentInput("@刘主管 @张经理 @陈专员 请看"), actor=cast.liaison)
    for _ in range(2):
        sweep(NOW)
        for pk in due_deliveries(NOW):
            deliver(pk, NOW)
    mentions = [m for m in smtp.mails if "在评论中提到了您" in m.subject]
    assert sorted(m.recipients[0] for m in mentions) == [
        "chen@example.com",
        "liu@example.com",
        "zhang@example.com",
    ]
    mail = next(m for m in mentions if m.recipients == ["liu@example.com"])
    assert "http://evil" not in mail.part("text/plain") and "http[:]//evil[.]example[.]com" in mail.part(
        "text/plain"
    )
    assert f"/comments/#comment-{comment.pk}" in mail.part("text/plain")
    posts = [r.json()["markdown"]["content"] for r in robot_server.requests]
    (group,) = [p for p in posts if "评论" in p]
    assert "李工 在评论中提到了 刘主管、张经理" in group
