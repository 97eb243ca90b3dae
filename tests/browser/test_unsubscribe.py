"""The unsubscribe link of a reminder mail, opened in a real browser by someone not signed in.

The reminder goes through Django's SMTP backend to aiosmtpd; the link is
taken from the mail's ``List-Unsubscribe`` header as received, opened in
Chromium: the page offers to stop that kind, says it stopped, and undoes.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import make_person
from tests.notify.conftest import email_delivery, make_notification
from tests.notify.servers import SmtpServer, smtp, smtp_server
from xietong.notify.delivery import deliver
from xietong.notify.models import Kind, Preference

__all__ = ["smtp", "smtp_server"]

pytestmark = pytest.mark.browser


def test_the_link_of_a_reminder_mail_stops_that_kind_and_undo_brings_it_back(
    page: Page, live_server: Any, settings: SettingsWrapper, smtp: SmtpServer
) -> None:
    settings.SITE_URL = str(live_server.url)
    person = make_person("zhang", email="zhang@example.com")
    deliver(email_delivery(make_notification(person), person.email).pk)
    [mail] = smtp.mails
    link = str(mail.message["List-Unsubscribe"]).strip().removeprefix("<").removesuffix(">")

    page.goto(link)
    expect(page.get_by_role("heading")).to_have_text("停止接收「任务已逾期」提醒?")
    assert not Preference.objects.filter(person=person).exists()  # opening the link mutes nothing

    page.get_by_role("button", name="停止接收").click()
    expect(page.get_by_role("heading")).to_have_text("已停止接收「任务已逾期」提醒")
    assert Preference.objects.get(person=person).muted_kinds == [Kind.TASK_OVERDUE]

    page.get_by_role("button", name="撤销,继续接收").click()
    expect(page.get_by_role("status")).to_have_text("已恢复接收「任务已逾期」提醒")
    assert Preference.objects.get(person=person).muted_kinds == []
