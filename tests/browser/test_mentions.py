"""A mention in a real browser: a liaison asks a colleague on a task; the colleague's inbox and mailbox.

技术部's liaison opens the "评论" disclosure of a row of the responsibility
table (htmx, no reload), writes "@陈主管 …" (产品部's liaison), and posts it.
The sweep and the delivery worker's send run as in production: the mail
arrives at a local aiosmtpd server once; signed in as 陈主管, the inbox shows
the mention and its link opens the thread at the comment.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_minutes import NO_RELOAD, with_password
from tests.helpers import add_charter_people
from tests.notify.servers import SmtpServer, smtp, smtp_server
from tests.test_dashboards import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person

__all__ = ["smtp", "smtp_server"]
pytestmark = pytest.mark.browser


@pytest.fixture
def collab(transactional_db: None) -> Collaboration:
    data = charter_with_tasks(3)
    collab = do_import_charter(parse_charter(add_charter_people(data)), slug="mentions", org_authority=True)
    for login, address in (("李工", "li@example.com"), ("陈主管", "chen@example.com")):
        with_password(Person.objects.get(username=login))
        Person.objects.filter(username=login).update(email=address)
    return collab


def test_a_liaison_mentions_a_colleague_who_finds_it_in_the_inbox_and_the_mail(
    page: Page, login: object, collab: Collaboration, smtp: SmtpServer
) -> None:
    task = Task.objects.filter(collaboration=collab, department__name="技术部").order_by("position").first()
    assert task is not None
    login("李工")  # type: ignore[operator]
    page.goto(f"/c/{collab.slug}/table/")
    page.evaluate(f"{NO_RELOAD} = true")
    row = page.locator(f"#task-{task.pk}")
    row.locator(".comment-disclosure summary").click()
    expect(row.locator(".comment-disclosure summary")).to_have_text("评论 (0)")
    thread = row.locator(".comment-thread")
    thread.get_by_label("写评论").fill("@陈主管 请确认接口字段是否够用")
    thread.get_by_role("button", name="发布评论").click()
    thread = row.locator(".comment-thread")
    expect(thread.locator(".comment-body")).to_contain_text("@陈主管 请确认接口字段是否够用")
    expect(thread.locator(".comment-told")).to_contain_text("陈主管")
    expect(row.locator(".comment-disclosure summary")).to_have_text("评论 (1)")  # out of band
    # An edit in place, with htmx: the text changes, nobody new is told.
    thread.get_by_role("link", name="编辑").click()
    thread.get_by_label("修改评论").fill("@陈主管 请确认接口字段是否够用(已补充说明)")
    thread.get_by_role("button", name="保存").click()
    expect(thread.locator(".comment-body")).to_contain_text("(已补充说明)")
    expect(thread.locator(".comment-meta")).to_contain_text("已编辑")
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"

    # The worker's sweep and sends, twice: the mention is mailed once.
    for _ in range(2):
        now = timezone.now()
        sweep(now)
        for pk in due_deliveries(now):
            deliver(pk, now)
    mails = [m for m in smtp.mails if "在评论中提到了您" in m.subject]
    assert [m.recipients for m in mails] == [["chen@example.com"]]
    assert "李工 在评论中提到了您" in mails[0].subject
    assert "请确认接口字段是否够用" in mails[0].part("text/plain")  # the text as edited before the send

    page.context.clear_cookies()
    login("陈主管")  # type: ignore[operator]
    page.goto("/notifications/")
    notice = page.locator("li", has_text="李工 在评论中提到了您").first
    expect(notice).to_be_visible()
    notice.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/c/{collab.slug}/tasks/{task.pk}/comments/#comment-\d+$"))
    expect(page.locator(".comment-body")).to_contain_text("请确认接口字段是否够用")
