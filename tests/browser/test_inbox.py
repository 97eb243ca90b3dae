"""The in-app inbox in a real browser: the sweep's reminder, the unread badge, mark read, follow the link.

The kickoff was held three hours ago and its minutes are not written: the
sweep reminds the initiator, who sees the count in the top bar, reads the
reminder in the inbox, marks it read in place (htmx, the badge goes with
it) and follows its link to the kickoff's page.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_minutes import NO_RELOAD, held_kickoff  # noqa: F401 (a fixture)
from xietong.collabs.models import Collaboration
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep

pytestmark = pytest.mark.browser


def test_the_initiator_reads_the_minutes_reminder_and_opens_the_meeting(
    page: Page,
    login: object,
    held_kickoff: Collaboration,  # noqa: F811
) -> None:
    sweep(timezone.now())
    owner = held_kickoff.owner
    assert owner is not None
    reminder = Notification.objects.get(recipient=owner, kind=Kind.MINUTES_DUE)
    unread = Notification.objects.filter(recipient=owner, read_at__isnull=True).count()
    login(owner)  # type: ignore[operator]

    badge = page.locator("#inbox-badge")
    expect(badge).to_contain_text(str(unread))
    page.get_by_role("link", name=re.compile("我的通知")).first.click()
    item = page.locator(f"#notification-{reminder.pk}")
    expect(item).to_contain_text("会议纪要待输出")
    expect(item).to_contain_text("启动会")

    page.evaluate(f"{NO_RELOAD} = true")
    item.get_by_role("button", name="标为已读").click()
    expect(item.get_by_role("button", name="标为已读")).to_have_count(0)
    expect(item).to_contain_text("已读")
    if unread == 1:
        expect(badge).to_have_text("")
    else:
        expect(badge).to_contain_text(str(unread - 1))
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"
    reminder.refresh_from_db()
    assert reminder.read_at is not None

    item.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/c/{held_kickoff.slug}/kickoff/$"))
    expect(page.get_by_role("heading", name="召开跨部门启动会")).to_be_visible()
