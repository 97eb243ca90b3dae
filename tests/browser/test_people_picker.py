"""Issue 18 in Chromium: people fields are pickers over the directory.

Typing a name into a liaison field searches the directory live (htmx); a
click on a result fills the name and the hidden person id, and saving sets
exactly that person even when a namesake exists. A name nobody has comes
back with "邀请新成员" inline, and the invitation mail reaches the SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import AS_OF, KICKOFF
from tests.notify.servers import SmtpServer, smtp, smtp_server
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.models import Department, Person

__all__ = ["smtp", "smtp_server"]

pytestmark = pytest.mark.browser


@pytest.fixture
def collab(transactional_db: None, settings: SettingsWrapper) -> Collaboration:
    settings.SITE_URL = "https://xietong.example.com"
    collab = load_demo(KICKOFF, today=AS_OF)
    owner = collab.owner
    assert isinstance(owner, Person)
    owner.set_password(f"pw-{owner.username}")
    owner.save()
    return collab


def tech(collab: Collaboration) -> Participant:
    return Participant.objects.select_related("liaison").get(collaboration=collab, department__name="技术部")


def test_picking_a_person_from_the_live_search_sets_exactly_them(
    page: Page, login: Callable[..., None], collab: Collaboration
) -> None:
    legal = Department.objects.get(name="法务部")
    Person.objects.create(username="wangfang1", display_name="王芳", password="!")
    chosen = Person.objects.create(
        username="wangfang2", display_name="王芳", department=legal, email="wf2@example.com", password="!"
    )
    row = tech(collab)
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/departments/")
    field = page.locator(f"[name=p{row.pk}-liaison]")
    field.fill("王芳")
    results = page.locator(f"[data-picker]:has([name=p{row.pk}-liaison]) .picker-results")
    expect(results.locator("[data-pick-id]")).to_have_count(2)
    expect(results).to_contain_text("法务部")
    expect(results).not_to_contain_text("wf2@example.com")  # never contacts
    results.locator(f"[data-pick-id='{chosen.pk}']").click()
    expect(field).to_have_value("王芳")
    expect(page.locator(f"[name=p{row.pk}-liaison_id]")).to_have_value(str(chosen.pk))
    expect(results.locator("[data-pick-id]")).to_have_count(0)
    page.get_by_role("button", name="保存全部部门").click()
    expect(page).to_have_url(re.compile(r"/departments/#step2$"))
    expect(page.locator("section[aria-labelledby=step2] .flash")).to_contain_text("已保存")
    assert tech(collab).liaison == chosen


def test_a_new_name_is_invited_inline_and_the_mail_arrives(
    page: Page, login: Callable[..., None], collab: Collaboration, smtp: SmtpServer
) -> None:
    row = tech(collab)
    before = Person.objects.count()
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/departments/")
    page.locator(f"[name=p{row.pk}-liaison]").fill("钱会计")
    page.locator(f"[name=p{row.pk}-duties]").fill("预算与核算")
    results = page.locator(f"[data-picker]:has([name=p{row.pk}-liaison]) .picker-results")
    expect(results).to_contain_text("目录中没有匹配的人员")
    page.get_by_role("button", name="保存全部部门").click()
    # Back with everything typed, the error, and the invitation inline; nobody was created.
    expect(page.locator(f"[name=p{row.pk}-liaison]")).to_have_value("钱会计")
    expect(page.locator(f"[name=p{row.pk}-duties]")).to_have_value("预算与核算")
    expect(page.get_by_text("找不到名为 钱会计 的人员")).to_be_visible()
    assert Person.objects.count() == before
    page.locator(f"[name=p{row.pk}-liaison_email]").fill("qian.kuaiji@corp.example.org")
    page.get_by_role("button", name="保存全部部门").click()
    expect(page.locator("section[aria-labelledby=step2] .flash")).to_contain_text("已邀请 钱会计")
    [mail] = smtp.mails
    assert mail.recipients == ["qian.kuaiji@corp.example.org"]
    liaison = tech(collab).liaison
    assert liaison is not None and liaison.email == "qian.kuaiji@corp.example.org"
