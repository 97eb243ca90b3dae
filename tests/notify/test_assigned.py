"""A row assigned to someone: one notice in their inbox and one mail at the local SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from tests.conftest import make_person
from tests.helpers import TZ, Cast, signed_in
from tests.notify.servers import SmtpServer
from xietong.collabs.actions.tasks import do_assign_task
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 8, 12, 10, 0, tzinfo=TZ)


def send_all(now: datetime) -> None:
    sweep(now)
    for pk in due_deliveries(now):
        deliver(pk, now)


def test_the_assignee_gets_one_mail_and_one_inbox_notice(cast: Cast, smtp: SmtpServer) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"), email="tech1@example.com")
    with time_machine.travel(NOW, tick=False):
        do_assign_task(task, member, actor=cast.liaison)
    send_all(NOW + timedelta(minutes=1))
    send_all(NOW + timedelta(minutes=2))  # a second sweep sends nothing more
    mails = [m for m in smtp.mails if m.recipients == ["tech1@example.com"]]
    assert len(mails) == 1
    assert mails[0].subject.strip() == f"【{cast.collab.title}】李工 将任务分配给您"
    assert task.description[:20] in mails[0].part("text/plain")
    assert Notification.objects.filter(recipient=member, kind=Kind.TASK_ASSIGNED).count() == 1
    inbox = signed_in(member).get("/notifications/").content.decode()
    assert "李工 将任务分配给您" in inbox and f"#task-{task.pk}" in inbox
